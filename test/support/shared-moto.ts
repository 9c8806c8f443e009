import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { SHARED_MOTO_ENV } from "./global-setup";
import { motoClientConfig, motoEnv } from "./moto";

/** The run-wide moto started by the globalSetup. */
export interface SharedMoto {
  endpoint: string;
  /** Fake credentials + endpoint overrides; see `motoEnv`. */
  env: Record<string, string>;
  /** Config for an in-process AWS SDK client (`new SSMClient(sharedMoto().clientConfig)`). */
  clientConfig: ReturnType<typeof motoClientConfig>;
}

/**
 * The moto server shared by the whole vitest run (see global-setup.ts). Do not reset it; isolate your
 * test's parameters under {@link uniquePrefix}.
 */
export function sharedMoto(): SharedMoto {
  const endpoint = inject("motoEndpoint") ?? process.env[SHARED_MOTO_ENV];
  if (!endpoint) throw new Error("no shared moto: is test/support/global-setup.ts in vitest's globalSetup?");
  return { endpoint, env: motoEnv(endpoint), clientConfig: motoClientConfig(endpoint) };
}

/**
 * A fresh SSM path prefix for one test, e.g. `/sign-proxy-test/signer-3f9a1c2e/` (no `:`; ends with `/`).
 * (SSM, and moto, reject names whose first segment starts with `ssm` or `aws`.)
 * @param label a short readable tag (letters, digits, `-`, `_`).
 */
export function uniquePrefix(label = "t"): string {
  return `/sign-proxy-test/${label}-${randomBytes(4).toString("hex")}/`;
}
