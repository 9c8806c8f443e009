import { fileURLToPath } from "node:url";

/** The function bundle the integration and e2e tests run (test/support/lambda-invoke-endpoint.ts). */
export const TESTED_LAMBDA_DIR = fileURLToPath(new URL("../../../dist/lambda", import.meta.url));
/** The standalone daemon the e2e tests run (test/e2e/daemon-process.ts STANDALONE). */
export const TESTED_STANDALONE = fileURLToPath(
  new URL("../../../dist/standalone/ssm-sign-proxy.mjs", import.meta.url),
);
