/**
 * AWS Signature Version 4 for one request, with node:crypto only.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * The function needs exactly one signed call (SSM GetParametersByPath); signing it here instead of loading the
 * SDK's client stack keeps the bundle ~20x smaller and the cold start ~10x shorter (see docs/benchmarks.md).
 * Checked against the SDK's own signer in test/unit/aws-sigv4.test.ts.
 */

import { createHash, createHmac } from "node:crypto";
import { encodeQueryComponent as uriEscape } from "../core/query-syntax";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  /** Absolute URL; its path and query are signed. */
  url: URL;
  /** Lower-case names. Every header given is signed, so pass only what goes on the wire. */
  headers: Record<string, string>;
  body: string;
}

const UNSIGNABLE = new Set(["authorization", "user-agent", "x-amzn-trace-id", "expect", "connection"]);

function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 requires. */
/** Non-S3 services sign the (already percent-encoded) path escaped once more, segment by segment. */
function canonicalPath(url: URL): string {
  return (url.pathname || "/").split("/").map(uriEscape).join("/");
}

function canonicalQuery(url: URL): string {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of url.searchParams) pairs.push([uriEscape(k), uriEscape(v)]);
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** `20260102T030405Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** Returns the headers to send: the given ones plus host, x-amz-date, the session token and Authorization. */
export function signRequest(
  request: SignableRequest,
  credentials: AwsCredentials,
  region: string,
  service: string,
  now: Date = new Date(),
): Record<string, string> {
  const stamp = amzDate(now);
  const day = stamp.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, "x-amz-date": stamp };
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .filter((n) => !UNSIGNABLE.has(n))
    .sort();
  const lowered: Record<string, string> = {};
  for (const [n, v] of Object.entries(headers)) lowered[n.toLowerCase()] = v;
  const canonicalHeaders = names
    .map((n) => `${n}:${(lowered[n] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    request.method,
    canonicalPath(request.url),
    canonicalQuery(request.url),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(request.body),
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service),
    "aws4_request",
  );
  const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
