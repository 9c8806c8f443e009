/**
 * A host's parameters -> what to do to its requests. Pure.
 * Kinds (after `/<prefix>/<host>/`): headers/<Name>, basic/username, basic/password, rewrite/path, queries/<name>,
 * and the minted token sources github-app/<name> and oauth2/<name> (token-source-rules.ts).
 */

import { isFieldValue, isToken } from "../core/http-syntax";
import type { QueryPairs } from "../core/proxy-request";
import { splitQuery } from "../core/query-syntax";
import type { Parameter } from "../parameters/parameter-source";
import { collectTokenParameter, emptyTokenSourceParameters, resolveTokenSource } from "./token-source-rules";
import type { MintedTokenSource } from "./token-source-types";

export type SigningKind = "headers" | "basic" | "rewrite" | "queries" | "github-app" | "oauth2";

export interface SigningRules {
  headers: Array<[name: string, value: string]>;
  basic?: { username: string; password: string };
  /** The raw, already-escaped path to send instead of the client's. */
  rewritePath?: string;
  /** The raw pairs of a rewrite/path value's query (`path?a=b`), added to the request's. */
  rewriteQuery?: QueryPairs;
  /** Query names and values, NOT encoded (they are encoded when applied). */
  queries: Array<[name: string, value: string]>;
  /** A token the function mints (GitHub App, OAuth2): sent as `Authorization: Bearer`, replacing basic. */
  tokenSource?: MintedTokenSource;
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

// A rewritten path goes on the request line as-is: only characters legal in a path (RFC 3986 §3.3) and %XX.
const RAW_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
// Its optional query: the same characters plus `?` (RFC 3986 §3.4); never `#`, CR/LF, space or non-ASCII.
const RAW_QUERY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

/** `path` or `path?query` -> the two parts, or undefined when either has a character that cannot go as is. */
function splitRewrite(value: string): { path: string; query?: QueryPairs } | undefined {
  const q = value.indexOf("?");
  const path = q === -1 ? value : value.slice(0, q);
  if (!RAW_PATH.test(path)) return undefined;
  if (q === -1) return { path };
  const rawQuery = value.slice(q + 1);
  if (!RAW_QUERY.test(rawQuery)) return undefined;
  return { path, query: splitQuery(rawQuery) };
}

/** `authority` (`host[:port]`) gives github-app/api-url its default; without it, it is derived from the path. */
export function parseRules(hostPath: string, parameters: Parameter[], authority?: string): ParsedRules {
  const rules: SigningRules = { headers: [], queries: [], kinds: [] };
  const ignored: IgnoredParameter[] = [];
  const minted = emptyTokenSourceParameters();
  let username: string | undefined;
  let password: string | undefined;
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
      case "headers":
        if (!isToken(rest)) ignored.push({ name, reason: "header name is not a valid HTTP token" });
        else if (!isFieldValue(value))
          ignored.push({ name, reason: "value contains control characters (CR, LF, NUL)" });
        else rules.headers.push([rest, value]);
        break;
      case "basic":
        if (rest === "username") username = value;
        else if (rest === "password") password = value;
        else ignored.push({ name, reason: "expected basic/username or basic/password" });
        break;
      case "rewrite":
        if (rest !== "path") ignored.push({ name, reason: "expected rewrite/path" });
        else {
          const rewrite = splitRewrite(value);
          if (!rewrite) {
            ignored.push({ name, reason: "value is not a percent-encoded path (with an optional ?query)" });
            break;
          }
          rules.rewritePath = rewrite.path.startsWith("/") ? rewrite.path : `/${rewrite.path}`;
          if (rewrite.query && rewrite.query.length > 0) rules.rewriteQuery = rewrite.query;
        }
        break;
      case "queries":
        if (rest === "") ignored.push({ name, reason: "expected queries/<name>" });
        else rules.queries.push([rest, value]);
        break;
      case "github-app":
      case "oauth2": {
        const reason = collectTokenParameter(minted, kind, rest, name, value);
        if (reason) ignored.push({ name, reason });
        break;
      }
      default:
        ignored.push({
          name,
          reason: "unknown kind: expected headers, basic, rewrite, queries, github-app or oauth2",
        });
    }
  }
  if (username !== undefined || password !== undefined) {
    if (username === undefined)
      ignored.push({ name: `${hostPath}/basic/password`, reason: "basic/username is missing" });
    else if (username.includes(":"))
      ignored.push({ name: `${hostPath}/basic/username`, reason: "contains ':'" });
    else rules.basic = { username, password: password ?? "" };
  }
  const hostKey = hostPath.slice(hostPath.lastIndexOf("/") + 1);
  const basicNames: string[] = [];
  if (username !== undefined) basicNames.push(`${hostPath}/basic/username`);
  if (password !== undefined) basicNames.push(`${hostPath}/basic/password`);
  const authorityOrKey = authority ?? hostKey.replace(/_(\d+)$/, ":$1");
  const token = resolveTokenSource(minted, hostPath, authorityOrKey, rules.basic !== undefined, basicNames);
  ignored.push(...token.ignored);
  if (token.source) {
    rules.tokenSource = token.source;
    if (token.basicLoses) delete rules.basic;
  }
  if (rules.headers.length > 0) rules.kinds.push("headers");
  if (rules.basic) rules.kinds.push("basic");
  if (rules.rewritePath !== undefined) rules.kinds.push("rewrite");
  if (rules.queries.length > 0) rules.kinds.push("queries");
  if (rules.tokenSource) rules.kinds.push(rules.tokenSource.kind);
  return { rules, ignored };
}
