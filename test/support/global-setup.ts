import type { TestProject } from "vitest/node";
import { startMoto, warmUpMoto } from "./moto";
import { findTestPython, TEST_PYTHON_ENV } from "./test-python";

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
  // Before anything else: without moto no test can run, so say once how to get it and stop. (A thrown error
  // would come after vitest's misleading "No test files found" and a stack trace.)
  const python = findTestPython();
  if (python.kind === "missing") {
    process.stderr.write(`\nnpm test: ${python.message}\n`);
    process.exit(1);
  }
  process.env[TEST_PYTHON_ENV] = python.python;
  // cfn-lint comes with moto in a virtualenv: its bin/ goes first on PATH for the tests and their children.
  if (python.binDir) process.env.PATH = `${python.binDir}:${process.env.PATH ?? ""}`;
  const moto = await startMoto();
  await warmUpMoto(moto.endpoint);
  project.provide("motoEndpoint", moto.endpoint);
  // Also as an env var, for scripts and child processes started outside vitest's context.
  process.env[SHARED_MOTO_ENV] = moto.endpoint;
  return async () => {
    await moto.stop();
  };
}
