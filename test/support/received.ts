/**
 * What the test upstream actually received. With scrubbing on (the default), an `/echo` answer shows the
 * placeholder where the injected secret was, so tests that check injection read the upstream's own record.
 */
import type { HttpsUpstream, UpstreamRequest } from "./https-upstream";

export { DEFAULT_PLACEHOLDER as SCRUB_PLACEHOLDER } from "../../lambda/scrub";

/** The last request whose target starts with `pathPrefix`, as the upstream received it. */
export function receivedRequest(upstream: HttpsUpstream, pathPrefix: string): UpstreamRequest {
  const request = upstream.requests.filter((r) => r.path.startsWith(pathPrefix)).at(-1);
  if (!request) throw new Error(`the upstream received no request for ${pathPrefix}`);
  return request;
}

/** The values of header `name` on the last request whose target starts with `pathPrefix`. */
export function receivedHeader(upstream: HttpsUpstream, pathPrefix: string, name: string): string[] {
  return receivedRequest(upstream, pathPrefix)
    .headers.filter(([n]) => n.toLowerCase() === name.toLowerCase())
    .map(([, v]) => v);
}
