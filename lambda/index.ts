/** The Lambda entry point: configuration from the environment, clients in module scope (reused while warm). */
import { parseHostList } from "./core/host-list";
import { createHandler } from "./handler/handler";
import { SsmApiClient } from "./parameters/ssm-api-client";
import { SsmParameterSource } from "./parameters/ssm-parameter-source";

function seconds(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    // A typo must not silently become "no cache" or "no timeout": say so once, at cold start, and use the default.
    console.warn(
      JSON.stringify({
        level: "warn",
        msg: `${name} must be a positive number of seconds; using the default`,
      }),
    );
    return undefined;
  }
  return value;
}

export const handler = createHandler({
  source: new SsmParameterSource(new SsmApiClient()),
  prefix: process.env.SSM_SIGN_PROXY_PREFIX,
  hosts: parseHostList(process.env.SSM_SIGN_PROXY_HOSTS),
  cacheTtlSeconds: seconds("SSM_SIGN_PROXY_CACHE_TTL"),
  negativeCacheTtlSeconds: seconds("SSM_SIGN_PROXY_NEGATIVE_CACHE_TTL"),
  timeoutSeconds: seconds("SSM_SIGN_PROXY_TIMEOUT"),
});
