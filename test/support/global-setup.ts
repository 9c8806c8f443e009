import type { TestProject } from "vitest/node";
import { startMoto, warmUpMoto } from "./moto";

/** Name of the environment variable that carries the shared moto endpoint to worker processes. */
export const SHARED_MOTO_ENV = "SSM_SIGN_PROXY_TEST_MOTO_ENDPOINT";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the one moto server shared by the whole run. */
    motoEndpoint: string;
  }
}

/**
 * vitest globalSetup: starts ONE moto for the whole run, hands its endpoint to test files
 * (`inject("motoEndpoint")`, or use `sharedMoto()` from ./shared-moto) and stops it at the end.
 * Nobody may reset it: tests isolate themselves with their own SSM prefix (`uniquePrefix()`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  await warmUpMoto(moto.endpoint);
  project.provide("motoEndpoint", moto.endpoint);
  // Also as an env var, for scripts and child processes started outside vitest's context.
  process.env[SHARED_MOTO_ENV] = moto.endpoint;
  return async () => {
    await moto.stop();
  };
}
