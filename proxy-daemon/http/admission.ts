/**
 * Admission: may this request be signed, and where does it go? A pure function of what the request line and
 * headers say and the daemon's settings, in the order a client can fix things: who is asking (--allow), whether
 * the request is well formed, where it goes, the proxy token, whether the signer is ready, the declared size.
 * Every "no" is a refusal with its code; the body is read (and its real size checked) only after a "yes".
 */

import { headerValues } from "../../lambda/core/header-pairs";
import type { UpstreamHost } from "../../lambda/core/host-key";
import { refusedMethod } from "../../lambda/core/method-policy";
import type { HeaderPairs, QueryPairs } from "../../lambda/core/proxy-request";
import { isRefusal, type Refusal, refuse } from "../../lambda/core/refusal";
import { type AllowList, checkProxyToken, forbiddenClient, isAllowed } from "./access-control";
import { type Tunnel, tunnelTarget } from "./connect/tunnel-target";
import { checkPageToken } from "./page-token";
import { resolveTarget, type SelfNames } from "./request-target";

export interface AdmissionRequest {
  remoteAddress: string | undefined;
  method: string;
  url: string;
  headers: HeaderPairs;
  /** Set for a request inside a CONNECT tunnel: its authority picks the host, its CONNECT was authorised. */
  tunnel?: Tunnel;
}

export interface AdmissionPolicy {
  allow: AllowList;
  proxyToken?: string;
  /** With a proxy token: the own pages are served without it. */
  publicHealth?: boolean;
  maxBodyBytes: number;
  self: SelfNames;
  /** Why the signer cannot sign yet (Lambda mode start-up), if so. */
  notReady: string | undefined;
}

export type Admission =
  | { kind: "own-page"; path: string }
  | { kind: "forward"; host: UpstreamHost; path: string; query: QueryPairs }
  /** `host` is set once the target was known, for the request log line. */
  | { kind: "refused"; refusal: Refusal; host?: string };

const refused = (refusal: Refusal, host?: string): Admission =>
  host === undefined ? { kind: "refused", refusal } : { kind: "refused", refusal, host };

export function admit(request: AdmissionRequest, policy: AdmissionPolicy): Admission {
  const { headers } = request;
  if (!isAllowed(policy.allow, request.remoteAddress)) return refused(forbiddenClient(request.remoteAddress));
  // TRACE makes the API echo the signed request, credentials included: refused whoever asks, wherever to.
  const methodRefused = refusedMethod(request.method);
  if (methodRefused) return refused(methodRefused);
  // node:http refuses this already (strict parser); kept as a guard should that ever be relaxed.
  if (
    headerValues(headers, "transfer-encoding").length > 0 &&
    headerValues(headers, "content-length").length > 0
  ) {
    return refused(
      refuse(
        "request-malformed",
        "malformed request: Content-Length together with Transfer-Encoding is refused (RFC 9112 §6.3)",
      ),
    );
  }
  // node:http keeps only the first of several Host lines; RFC 9112 §3.2 says refuse such a request (400),
  // so two parties can never disagree about which host picks the secrets.
  const hosts = headerValues(headers, "host");
  if (hosts.length > 1) {
    return refused(
      refuse("host-header-duplicate", "malformed request: more than one Host header (RFC 9112 §3.2)"),
    );
  }
  const target = request.tunnel
    ? tunnelTarget(request.tunnel, request.url, hosts[0])
    : resolveTarget(request.method, request.url, hosts[0], policy.self);
  if (isRefusal(target)) return refused(target);
  if (target.kind === "own-page") {
    // The pages tell who uses the daemon and how (metrics by status, health reasons): the token guards them
    // too, unless --public-health says a load balancer must reach /healthz without one.
    if (policy.proxyToken !== undefined && !policy.publicHealth) {
      const given =
        headerValues(headers, "authorization")[0] ?? headerValues(headers, "proxy-authorization")[0];
      const denied = checkPageToken(policy.proxyToken, given);
      if (denied) return refused(denied);
    }
    return target;
  }
  const authority = target.authority;
  if (policy.proxyToken !== undefined && request.tunnel === undefined) {
    const denied = checkProxyToken(policy.proxyToken, headerValues(headers, "proxy-authorization")[0]);
    if (denied) return refused(denied, authority);
  }
  if (policy.notReady !== undefined) {
    return refused(
      refuse("signer-not-ready", `signer not ready: ${policy.notReady}`, [["Retry-After", "5"]]),
      authority,
    );
  }
  const declared = headerValues(headers, "content-length")[0];
  if (declared !== undefined && Number(declared) > policy.maxBodyBytes) {
    return refused(
      refuse(
        "body-too-large",
        `request body of ${declared} bytes is over the --max-body limit of ${policy.maxBodyBytes} bytes`,
      ),
      authority,
    );
  }
  return { kind: "forward", host: target.host, path: target.path, query: target.query };
}
