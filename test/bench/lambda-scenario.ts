/**
 * Scenario (c): the daemon in Lambda mode → a local Lambda Invoke endpoint → the built bundle, with parameters
 * read from moto's SSM.
 */
import type { Service } from "./processes";
import type { BenchContext, Scenario } from "./scenarios";

export async function lambdaDaemonScenario(
  _ctx: BenchContext,
  _services: Service[],
): Promise<Scenario | { skipped: string }> {
  return { skipped: "test/support/lambda-invoke-endpoint.ts has not landed yet" };
}
