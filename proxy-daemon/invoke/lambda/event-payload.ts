// The ALB event the function receives, built from a request; request headers are filtered here, once.
import { requestHeadersForUpstream } from "../../../lambda/core/header-filter";
import type { HeaderPairs, SignRequest } from "../../../lambda/core/proxy-request";
import { encodeEvent } from "../../../lambda/wire/event-codec";

/**
 * The request as the ALB event the function receives. Headers are filtered here, once, so neither the proxy
 * token nor hop-by-hop fields ever reach Lambda; Host and Content-Length tell the function (and its audit log)
 * the API and the body size we read.
 */
export function eventPayload(request: SignRequest, streaming = false): string {
  const headers: HeaderPairs = [
    ["Host", request.host.authority],
    ...requestHeadersForUpstream(request.headers),
  ];
  if (request.body.length > 0) headers.push(["Content-Length", String(request.body.length)]);
  const { method, path, query, body } = request;
  const event = encodeEvent({ method, path, query, headers, body }, request.caller);
  // Tells the function to answer with a metadata prelude and stream the body (streaming-handler.ts).
  if (streaming) event.requestContext = { ...event.requestContext, responseMode: "stream" };
  return JSON.stringify(event);
}
