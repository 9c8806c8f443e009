/** Applies a host's signing rules to a request. Pure; order: headers, basic, rewrite/path, queries. */
import type { HeaderPairs, ProxyRequest, QueryPairs } from "../core/proxy-request";
import { decodeQueryComponent, encodeQueryComponent, formatQuery } from "../core/query-syntax";
import type { SigningRules } from "./signing-rules";

export { encodeQueryComponent } from "../core/query-syntax";

function withoutHeader(headers: HeaderPairs, name: string): HeaderPairs {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() !== lower);
}

export function applyRules(request: ProxyRequest, rules: SigningRules): ProxyRequest {
  let headers = request.headers;
  for (const [name, value] of rules.headers) {
    headers = [...withoutHeader(headers, name), [name, value]];
  }
  // Later rules win over earlier ones: basic replaces an Authorization header parameter.
  if (rules.basic) {
    const token = Buffer.from(`${rules.basic.username}:${rules.basic.password}`, "utf8").toString("base64");
    headers = [...withoutHeader(headers, "authorization"), ["Authorization", `Basic ${token}`]];
  }
  const path = rules.rewritePath ?? request.path;
  // A rewrite/path value's own query (`/services/T0/B0/X?foo=bar`) joins the client's before queries/… apply.
  let query: QueryPairs = rules.rewriteQuery ? [...request.query, ...rules.rewriteQuery] : request.query;
  if (rules.queries.length > 0) {
    const names = new Set(rules.queries.map(([name]) => name));
    query = [
      ...query.filter(([key]) => !names.has(decodeQueryComponent(key))),
      ...rules.queries.map(([name, value]): [string, string] => [
        encodeQueryComponent(name),
        encodeQueryComponent(value),
      ]),
    ];
  }
  return { method: request.method, path, query, headers, body: request.body };
}

/** The request target (path + query) as it goes on the wire. */
export function requestTarget(path: string, query: QueryPairs): string {
  if (query.length === 0) return path;
  return `${path}?${formatQuery(query)}`;
}
