/**
 * Scrubbing the API's answer of every value injected into the request (`SSM_SIGN_PROXY_SCRUB`, default on):
 * header values, and the body unless it has a Content-Encoding (compressed bytes cannot be searched; that is
 * logged once per host). Streamed bodies are scrubbed chunk by chunk, matches across chunk boundaries included
 * (the scrubber holds back less than one form's length). A scrubbed body changes length: a whole one keeps a
 * Content-Length matching it, a streamed one has its Content-Length dropped and goes out chunked. Counts only,
 * never values, reach the log.
 */
import { Transform } from "node:stream";
import type { HeaderPairs, ProxyResponse } from "../core/proxy-request";
import type { StreamedResponse } from "../core/streamed-response";
import { createStreamScrubber, scrubBuffer, scrubText } from "../scrub";

export interface ScrubTally {
  count: number;
  /** Set when the body was left alone because it is content-coded. */
  encodedBody?: string;
}

function contentCoding(headers: HeaderPairs): string | undefined {
  for (const [name, value] of headers) {
    const coding = value.trim().toLowerCase();
    if (name.toLowerCase() === "content-encoding" && coding !== "" && coding !== "identity") return coding;
  }
  return undefined;
}

function scrubHeaders(headers: HeaderPairs, forms: readonly string[], tally: ScrubTally): HeaderPairs {
  return headers.map(([name, value]): [string, string] => {
    const scrubbed = scrubText(value, forms);
    tally.count += scrubbed.count;
    return [name, scrubbed.text];
  });
}

/** Scrubs the header values; the body may be scrubbed too unless it is content-coded (then noted in the tally). */
function scrubHead(
  headers: HeaderPairs,
  forms: readonly string[],
  tally: ScrubTally,
): { headers: HeaderPairs; bodyScrubbable: boolean } {
  const scrubbed = scrubHeaders(headers, forms, tally);
  const coding = contentCoding(scrubbed);
  if (coding !== undefined) tally.encodedBody = coding;
  return { headers: scrubbed, bodyScrubbable: coding === undefined };
}

export function scrubWhole(
  response: ProxyResponse,
  forms: readonly string[],
  tally: ScrubTally,
): ProxyResponse {
  if (forms.length === 0) return response;
  const { headers, bodyScrubbable } = scrubHead(response.headers, forms, tally);
  if (!bodyScrubbable) return { ...response, headers };
  const scrubbed = scrubBuffer(response.body, forms);
  if (scrubbed.count === 0) return { ...response, headers };
  tally.count += scrubbed.count;
  // Its length changed: a declared Content-Length now says the scrubbed length (a streamed relay keeps it).
  const length = String(scrubbed.body.length);
  const reframed = headers.map(([name, value]): [string, string] => [
    name,
    name.toLowerCase() === "content-length" ? length : value,
  ]);
  return { statusCode: response.statusCode, headers: reframed, body: scrubbed.body };
}

export function scrubStreamed(
  response: StreamedResponse,
  forms: readonly string[],
  tally: ScrubTally,
): StreamedResponse {
  if (forms.length === 0) return response;
  const { headers, bodyScrubbable } = scrubHead(response.headers, forms, tally);
  if (!bodyScrubbable) return { ...response, headers };
  const scrubber = createStreamScrubber(forms);
  const source = response.stream;
  const scrubbing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = scrubber.push(chunk);
      tally.count = scrubber.count + headerCount;
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback) {
      const out = scrubber.end();
      tally.count = scrubber.count + headerCount;
      callback(null, out.length > 0 ? out : undefined);
    },
    destroy(error, callback) {
      source.destroy();
      callback(error);
    },
  });
  const headerCount = tally.count;
  source.on("error", (error) => scrubbing.destroy(error));
  source.pipe(scrubbing);
  return {
    statusCode: response.statusCode,
    headers: headers.filter(([name]) => name.toLowerCase() !== "content-length"),
    stream: scrubbing,
  };
}

/** Hosts whose content-coded bodies were passed unscrubbed, so each is logged once per warm sandbox. */
const warnedHosts = new Set<string>();
export function firstEncodedBodyFor(host: string): boolean {
  if (warnedHosts.has(host)) return false;
  if (warnedHosts.size > 10_000) warnedHosts.clear();
  warnedHosts.add(host);
  return true;
}
