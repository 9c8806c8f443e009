import { defineConfig } from "vitest/config";

// The AWS SDK warns once per process on Node < 22 (aws/aws-sdk-js-v3#7983 documents this variable to silence
// it): once in the runner and once in every worker and child, it buried the test output. Set here, before
// any worker or child starts, so all of them inherit it; the daemon itself still warns its users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// Many test files start real servers and child processes (moto, HTTPS upstreams, the daemon); on a
// 2-core machine more than two busy forks at once only makes everyone's timeouts flaky.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/cdk.out/**"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
    // A leaked server or child should show up as a failure, not as a run that never ends.
    reporters: ["default"],
  },
});
