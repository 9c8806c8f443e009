/** Applies a host's signing rules to a request. Pure; order: headers, basic, rewrite/path, queries. */
import { uriEscape } from "../core/http-syntax";
import type { HeaderPairs, ProxyRequest, QueryPairs } from "../core/proxy-request";
import type { SigningRules } from "./signing-rules";

function withoutHeader(headers: HeaderPairs, name: string): HeaderPairs {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() !== lower);
}

function decodeQueryComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw; // malformed %-escapes: compare as written
  }
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
  let query: QueryPairs = request.query;
  if (rules.queries.length > 0) {
    const names = new Set(rules.queries.map(([name]) => name));
    query = [
      ...query.filter(([key]) => !names.has(decodeQueryComponent(key))),
      ...rules.queries.map(([name, value]): [string, string] => [uriEscape(name), uriEscape(value)]),
    ];
  }
  return { method: request.method, path, query, headers, body: request.body };
}

/** The request target (path + query) as it goes on the wire. */
export function requestTarget(path: string, query: QueryPairs): string {
  if (query.length === 0) return path;
  return `${path}?${query.map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join("&")}`;
}
