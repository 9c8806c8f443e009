/**
 * Scenario (c): the daemon in Lambda mode → the test-support Lambda Invoke server (its own process, running the
 * built bundle dist/lambda/index.mjs like a warm sandbox) → the upstream; parameters come from moto's SSM.
 *
 * The server is launched here rather than through startLambdaInvokeEndpoint(): that launcher pipes the function's
 * output into this process, and a Node process writes to a pipe synchronously, so under load the function would
 * stall whenever the busy load generator is slow to read its log lines. Here the output goes to a file, as
 * CloudWatch Logs takes it off a real function without back-pressure. Same server, same environment.
 */
import { join, resolve } from "node:path";
import { FAKE_ACCOUNT_ID } from "../support/lambda-invoke-endpoint";
import type { LambdaInvokeServerConfig } from "../support/lambda-invoke-types";
import { MOTO_REGION, motoEnv, seedParameters, startMoto } from "../support/moto";
import { type Stoppable, spawnService, waitForText } from "./processes";
import { type BenchContext, HEADER, profileArgs, REPO_ROOT, type Scenario, startDaemon } from "./scenarios";

const FUNCTION_NAME = "ssm-sign-proxy-bench";
/** What the function is configured with in the bench; the invoke server reports it in the context only. */
const MEMORY_MB = "512";

export async function lambdaDaemonScenario(ctx: BenchContext, stoppers: Stoppable[]): Promise<Scenario> {
  const moto = await startMoto();
  stoppers.push({ name: "moto", stop: () => moto.stop() });
  await seedParameters(moto.endpoint, {
    [`/bench/localhost_${ctx.upstream.port}/headers/${HEADER[0]}`]: HEADER[1],
  });

  const config: LambdaInvokeServerConfig = {
    functionName: FUNCTION_NAME,
    handlerModule: resolve(REPO_ROOT, "dist/lambda/index.mjs"),
    aliases: [],
    region: MOTO_REGION,
    accountId: FAKE_ACCOUNT_ID,
    timeoutMs: 30_000,
  };
  const server = spawnService({
    name: "lambda-invoke-server",
    command: process.execPath,
    args: [
      ...profileArgs("function"),
      "--import",
      "tsx",
      join(REPO_ROOT, "test/support/lambda-invoke-server.ts"),
      JSON.stringify(config),
    ],
    env: {
      PATH: process.env.PATH,
      ...motoEnv(moto.endpoint),
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: MEMORY_MB,
      NODE_EXTRA_CA_CERTS: ctx.upstream.caFile,
      SSM_SIGN_PROXY_PREFIX: "bench",
    },
    logFile: join(ctx.dir, "function.log"),
  });
  stoppers.push(server);
  const ready = await waitForText(server, /^lambda-invoke-server ready invoke=(\d+) control=(\d+)$/m);

  const { service, port } = await startDaemon(ctx, "daemon-lambda", ["--function-name", FUNCTION_NAME], {
    ...motoEnv(moto.endpoint),
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${ready[1]}`,
  });
  const controlUrl = `http://127.0.0.1:${ready[2]}`;
  return {
    key: "c",
    label: "daemon → Lambda Invoke endpoint → built bundle",
    target: {
      url: `http://127.0.0.1:${port}`,
      path: `http://localhost:${ctx.upstream.port}/echo`,
      headers: {},
    },
    memory: { daemon: service.pid, function: server.pid },
    services: [service],
    // The server records every invocation for tests; a bench must not let that grow for minutes.
    async trim() {
      const res = await fetch(`${controlUrl}/invocations`, { method: "DELETE" });
      await res.arrayBuffer();
    },
  };
}
