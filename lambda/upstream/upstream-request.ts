/**
 * The outgoing request as every upstream client sends it: its options (deadline, body limit, abort signal),
 * whether it carries a body, and its header pairs grouped by name for Node's request API. Kept in one place so
 * the buffered and the streamed clients, in the function and in the daemon's `--local` mode, send alike.
 */
import type { HeaderPairs, ProxyRequest } from "../core/proxy-request";

export interface UpstreamOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Aborts the request (the client went away): the upstream fetch stops at once and reports a timeout. */
  signal?: AbortSignal;
}

export const BODYLESS = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);

/** Whether the request goes out with a body (and Content-Length): any body, or a method that expects one. */
export function sendsBody(request: ProxyRequest): boolean {
  return request.body.length > 0 || !BODYLESS.has(request.method);
}

/** Grouped by name in a null-prototype map: `constructor` or `__proto__` are ordinary header names here. */
export function outgoingHeaders(headers: HeaderPairs): Record<string, string | string[]> {
  const grouped: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of headers) {
    const existing = grouped[name];
    if (existing === undefined) grouped[name] = value;
    else grouped[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return grouped;
}
