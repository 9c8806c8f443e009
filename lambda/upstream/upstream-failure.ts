/**
 * What a failed upstream request looks like: the short code one attempt fails with (UpstreamError, which also
 * says whether a retry is safe) and its classification into the UpstreamFailure the client is answered with.
 * Apart from the attempts so that every upstream client (node:https, undici; buffered, streamed) answers alike.
 */
import type { UpstreamHost } from "../core/host-key";
import { FORBIDDEN_ADDRESS_CODE } from "./address-guard";
import type { UpstreamOptions } from "./upstream-request";

export type UpstreamFailureKind =
  | "timeout"
  | "connect"
  | "tls"
  | "reset"
  | "forbidden-address"
  | "too-large"
  | "upgrade";

export interface UpstreamFailure {
  kind: "upstream-failure";
  failure: UpstreamFailureKind;
  /** A short error code (ECONNREFUSED, CERT_HAS_EXPIRED, …): never a URL or a header value. */
  code: string;
  /** One line for the client, naming the host and the reason; built only from non-secret parts. */
  message: string;
}

export const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE"]);

/** Why one attempt failed: a short code, and whether a retry is safe (reused socket, nothing received). */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    readonly reusedSocket: boolean,
    readonly responseStarted: boolean,
  ) {
    super(code);
  }
}

export function failure(
  host: UpstreamHost,
  kind: UpstreamFailureKind,
  code: string,
  why: string,
): UpstreamFailure {
  return {
    kind: "upstream-failure",
    failure: kind,
    code,
    message: `upstream ${host.authority}: ${why} (${code})`,
  };
}

/** An attempt's error as the failure the client sees; shared by every upstream client so they answer alike. */
export function classify(
  host: UpstreamHost,
  error: UpstreamError,
  options: UpstreamOptions,
): UpstreamFailure {
  const { code } = error;
  if (code === "RESPONSE_TOO_LARGE") {
    return failure(
      host,
      "too-large",
      code,
      `response body exceeds ${options.maxResponseBytes} bytes, the most a Lambda result can carry`,
    );
  }
  if (code === FORBIDDEN_ADDRESS_CODE) {
    return failure(
      host,
      "forbidden-address",
      code,
      "resolves only to link-local or metadata addresses, which are never dialled",
    );
  }
  if (code === "UPSTREAM_UPGRADE") {
    return failure(
      host,
      "upgrade",
      code,
      "answered 101 Switching Protocols to a request that asked for no upgrade; protocol switches are not proxied",
    );
  }
  if (code === "ABORTED")
    return failure(host, "timeout", code, "the request was cancelled: the client went away");
  if (code === "ETIMEDOUT")
    return failure(
      host,
      "timeout",
      code,
      `no complete answer within ${Math.round(options.timeoutMs / 100) / 10}s`,
    );
  if (RESET_CODES.has(code))
    return failure(
      host,
      "reset",
      code,
      error.responseStarted ? "connection reset mid-response" : "connection reset by peer",
    );
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/i.test(code)) {
    return failure(host, "tls", code, "TLS handshake failed: the certificate is not trusted for this host");
  }
  return failure(host, "connect", code, "connection failed");
}

export function isUpstreamFailure(value: unknown): value is UpstreamFailure {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "upstream-failure"
  );
}
