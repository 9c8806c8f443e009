/** The Lambda entry point: configuration from the environment, clients in module scope (reused while warm). */
import { parseHostList } from "./core/host-list";
import { createHandler, type Handler, type HandlerOptions } from "./handler/handler";
import { awslambdaGlobal } from "./handler/lambda-runtime";
import { createStreamingHandler, type StreamingHandler } from "./handler/streaming-handler";
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

/** `SSM_SIGN_PROXY_SCRUB=off` (or false/0/no) stops replacing injected values in answers. */
function scrubbing(): boolean {
  const raw = (process.env.SSM_SIGN_PROXY_SCRUB ?? "").trim().toLowerCase();
  return !["off", "false", "0", "no"].includes(raw);
}

const options: HandlerOptions = {
  source: new SsmParameterSource(new SsmApiClient()),
  prefix: process.env.SSM_SIGN_PROXY_PREFIX,
  hosts: parseHostList(process.env.SSM_SIGN_PROXY_HOSTS),
  cacheTtlSeconds: seconds("SSM_SIGN_PROXY_CACHE_TTL"),
  negativeCacheTtlSeconds: seconds("SSM_SIGN_PROXY_NEGATIVE_CACHE_TTL"),
  timeoutSeconds: seconds("SSM_SIGN_PROXY_TIMEOUT"),
  unknownHostLookupsPerSecond: seconds("SSM_SIGN_PROXY_UNKNOWN_HOST_LOOKUPS"),
  scrub: scrubbing(),
};

// In Lambda's Node.js runtime the handler streams (and still answers ALB and plain Invoke whole, see
// streaming-handler.ts); anywhere without the runtime's `awslambda` global it is the buffered handler.
const runtime = awslambdaGlobal();
export const handler: Handler | StreamingHandler = runtime
  ? createStreamingHandler(options, runtime)
  : createHandler(options);
