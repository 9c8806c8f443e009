/**
 * Methods the proxy refuses whoever asks, the daemon before invoking and the function before reading parameters.
 * TRACE (and Microsoft's TRACK) make the upstream echo the request it received, which after signing holds the
 * injected credentials: RFC 9110 §9.3.8 says a client MUST NOT send sensitive fields in TRACE. Pure.
 */
import { type Refusal, refuse } from "./refusal";

const ECHOING_METHODS = new Set(["TRACE", "TRACK"]);

export const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

export function refusedMethod(method: string): Refusal | undefined {
  const upper = method.toUpperCase();
  if (!ECHOING_METHODS.has(upper)) return undefined;
  return refuse(
    "trace-refused",
    `${upper} is refused: the upstream would echo the signed request, credentials included (RFC 9110 §9.3.8); ` +
      "use GET or OPTIONS to test reachability",
    [["allow", ALLOWED_METHODS]],
  );
}
