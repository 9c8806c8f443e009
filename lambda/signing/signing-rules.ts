/**
 * A host's parameters -> what to do to its requests. Pure.
 * Kinds (after `/<prefix>/<host>/`): headers/<Name>, basic/username, basic/password, rewrite/path, queries/<name>.
 */

import { fieldValueProblem, isToken, isWellFormed } from "../core/http-syntax";
import type { Parameter } from "../parameters/parameter-source";

export type SigningKind = "headers" | "basic" | "rewrite" | "queries";

export interface SigningRules {
  headers: Array<[name: string, value: string]>;
  basic?: { username: string; password: string };
  /** The raw, already-escaped path to send instead of the client's. */
  rewritePath?: string;
  /** Query names and values, NOT encoded (they are encoded when applied). */
  queries: Array<[name: string, value: string]>;
  /** Which kinds are present, for the log (names only, never values). */
  kinds: SigningKind[];
}

/** A parameter that was ignored, named so the operator can fix it. Carries no value. */
export interface IgnoredParameter {
  name: string;
  reason: string;
}

export interface ParsedRules {
  rules: SigningRules;
  ignored: IgnoredParameter[];
}

/**
 * Headers the proxy itself owns: framing (Content-Length, Transfer-Encoding, TE, Trailer), the connection
 * (Connection, Keep-Alive, Upgrade, Expect) and routing (Host, Proxy-*). As parameters they would desync
 * framing (a GET that hangs, TE and CL together) or re-route the request, so they are ignored.
 */
const OWNED_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "te",
  "upgrade",
  "keep-alive",
  "trailer",
  "expect",
]);

function headerNameProblem(name: string): string | undefined {
  if (!isToken(name)) return "header name is not a valid HTTP token";
  const lower = name.toLowerCase();
  if (OWNED_HEADERS.has(lower) || lower.startsWith("proxy-"))
    return `header ${name} is set by the proxy (framing, connection or routing) and cannot be a parameter`;
  return undefined;
}

const NOT_WELL_FORMED = "value is not well-formed Unicode (a lone surrogate)";

// A rewritten path goes on the request line as-is: only characters legal in a path (RFC 3986 §3.3) and %XX.
const RAW_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

export function parseRules(hostPath: string, parameters: Parameter[]): ParsedRules {
  const rules: SigningRules = { headers: [], queries: [], kinds: [] };
  const ignored: IgnoredParameter[] = [];
  let username: string | undefined;
  let password: string | undefined;
  // Half a credential is worse than none: an ignored username or password drops Basic altogether.
  let basicBroken = false;
  // Sorted so that the outcome never depends on the order SSM pages come back in.
  const sorted = [...parameters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, value } of sorted) {
    if (!name.startsWith(`${hostPath}/`)) {
      ignored.push({ name, reason: `not under ${hostPath}/` });
      continue;
    }
    const relative = name.slice(hostPath.length + 1);
    const slash = relative.indexOf("/");
    const kind = slash === -1 ? relative : relative.slice(0, slash);
    const rest = slash === -1 ? "" : relative.slice(slash + 1);
    switch (kind) {
      case "headers": {
        const problem = headerNameProblem(rest) ?? fieldValueProblem(value);
        if (problem !== undefined) ignored.push({ name, reason: problem });
        else rules.headers.push([rest, value]);
        break;
      }
      case "basic":
        if (!isWellFormed(value)) {
          ignored.push({ name, reason: NOT_WELL_FORMED });
          basicBroken = true;
        } else if (rest === "username") username = value;
        else if (rest === "password") password = value;
        else ignored.push({ name, reason: "expected basic/username or basic/password" });
        break;
      case "rewrite":
        if (rest !== "path") ignored.push({ name, reason: "expected rewrite/path" });
        else if (!RAW_PATH.test(value)) ignored.push({ name, reason: "value is not a percent-encoded path" });
        else rules.rewritePath = value.startsWith("/") ? value : `/${value}`;
        break;
      case "queries":
        if (rest === "") ignored.push({ name, reason: "expected queries/<name>" });
        // encodeURIComponent throws on a lone surrogate: such a value must never reach the signer.
        else if (!isWellFormed(rest) || !isWellFormed(value)) ignored.push({ name, reason: NOT_WELL_FORMED });
        else rules.queries.push([rest, value]);
        break;
      default:
        ignored.push({ name, reason: "unknown kind: expected headers, basic, rewrite or queries" });
    }
  }
  if (!basicBroken && (username !== undefined || password !== undefined)) {
    if (username === undefined)
      ignored.push({ name: `${hostPath}/basic/password`, reason: "basic/username is missing" });
    else if (username.includes(":"))
      ignored.push({ name: `${hostPath}/basic/username`, reason: "contains ':'" });
    else rules.basic = { username, password: password ?? "" };
  }
  if (rules.headers.length > 0) rules.kinds.push("headers");
  if (rules.basic) rules.kinds.push("basic");
  if (rules.rewritePath !== undefined) rules.kinds.push("rewrite");
  if (rules.queries.length > 0) rules.kinds.push("queries");
  return { rules, ignored };
}
