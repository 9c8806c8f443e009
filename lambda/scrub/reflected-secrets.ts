/**
 * Secrets that went out in the request URL (query values, a rewritten path) come back through ordinary server
 * behaviour: a trailing-slash redirect that keeps the query, a login wall's `next=` parameter, a 404 page that
 * quotes the path. This replaces them in the headers that carry URLs and in the body of error answers of a text
 * type. A 2xx/3xx body is the API's answer and is left alone (the streaming scrubber covers bodies generally).
 * Pure: no I/O.
 */
import type { HeaderPairs, ProxyResponse } from "../core/proxy-request";
import { DEFAULT_PLACEHOLDER, scrubBuffer, scrubText } from "./scrub-text";

/** Response headers whose value is (or contains) a URL (RFC 9110 §10.2.2, §8.7; RFC 8288; the Refresh header). */
const URL_HEADERS = new Set(["location", "content-location", "link", "refresh"]);

/** Bodies we can read as text; anything else (images, archives, a compressed body) is never rewritten. */
const TEXT_TYPE =
  /^\s*(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded)\b)/i;

function headerValue(headers: HeaderPairs, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function isScrubbableBody(response: ProxyResponse): boolean {
  return response.body.length > 0 && isTextErrorAnswer(response.statusCode, response.headers);
}

/** An error answer (4xx/5xx) whose body is uncoded text: an error page that may quote the request URL. */
export function isTextErrorAnswer(statusCode: number, headers: HeaderPairs): boolean {
  if (statusCode < 400) return false;
  const encoding = headerValue(headers, "content-encoding");
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") return false;
  const type = headerValue(headers, "content-type");
  // Error pages without a type are overwhelmingly text (Express, nginx, Apache defaults all send one anyway).
  return type === undefined || TEXT_TYPE.test(type);
}

export interface ScrubbedResponse {
  response: ProxyResponse;
  /** How many secret forms were replaced: counted in the log line, never the values. */
  count: number;
}

/** The response with every secret form replaced in URL headers and, for error answers, in a text body. */
export function scrubReflectedSecrets(
  response: ProxyResponse,
  forms: readonly string[],
  placeholder: string = DEFAULT_PLACEHOLDER,
): ScrubbedResponse {
  if (forms.length === 0) return { response, count: 0 };
  let count = 0;
  let headers = response.headers.map(([name, value]): [string, string] => {
    if (!URL_HEADERS.has(name.toLowerCase())) return [name, value];
    const scrubbed = scrubText(value, forms, placeholder);
    count += scrubbed.count;
    return [name, scrubbed.text];
  });
  let body = response.body;
  if (isScrubbableBody(response)) {
    const scrubbed = scrubBuffer(body, forms, placeholder);
    if (scrubbed.count > 0) {
      count += scrubbed.count;
      body = scrubbed.body;
      const length = String(body.length);
      headers = headers.map(([name, value]) => [
        name,
        name.toLowerCase() === "content-length" ? length : value,
      ]);
    }
  }
  return count === 0 ? { response, count } : { response: { ...response, headers, body }, count };
}
