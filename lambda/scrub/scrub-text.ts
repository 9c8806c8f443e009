/**
 * Replacing secret forms in a whole text or a whole buffer. The rule is leftmost-longest: scanning from the
 * start, the first position where any form matches is replaced by the placeholder using the longest form that
 * matches there, and scanning resumes after it. The stream scrubber (stream-scrubber.ts) applies the same rule
 * so that its output never depends on how the input was cut into chunks.
 * Pure: no I/O.
 */

export const DEFAULT_PLACEHOLDER = "[redacted by ssm-sign-proxy]";

export interface Match {
  readonly at: number;
  readonly length: number;
}

/** What both strings and Buffers offer: a length and a search from a position. */
type Search<N> = (needle: N, from: number) => number;

/**
 * Finds the matches of `needles` (longest first) from `from`, only those that begin before `limit`.
 * Each needle's next occurrence is remembered, so it is searched again only once a match has passed it.
 */
export function findMatches<N extends { readonly length: number }>(
  search: Search<N>,
  needles: readonly N[],
  from: number,
  limit: number,
): Match[] {
  const matches: Match[] = [];
  const next = needles.map((needle) => ({ needle, at: search(needle, from) }));
  let position = from;
  for (;;) {
    let best: { needle: N; at: number } | undefined;
    for (const candidate of next) {
      if (candidate.at !== -1 && candidate.at < position) candidate.at = search(candidate.needle, position);
      // Needles are longest first: on a tie the earlier (longer) one wins.
      if (candidate.at !== -1 && (best === undefined || candidate.at < best.at)) best = candidate;
    }
    if (best === undefined || best.at >= limit) break;
    matches.push({ at: best.at, length: best.needle.length });
    position = best.at + best.needle.length;
  }
  return matches;
}

export function searchIn(hay: string): Search<string>;
export function searchIn(hay: Buffer): Search<Buffer>;
export function searchIn(hay: string | Buffer): Search<string> | Search<Buffer> {
  if (typeof hay === "string") return (needle: string, from: number) => hay.indexOf(needle, from);
  return (needle: Buffer, from: number) => hay.indexOf(needle, from);
}

/** Replaces every form found in `text` with the placeholder. */
export function scrubText(
  text: string,
  forms: readonly string[],
  placeholder: string = DEFAULT_PLACEHOLDER,
): { text: string; count: number } {
  const usable = forms.filter((form) => form.length > 0);
  const matches = findMatches(searchIn(text), usable, 0, text.length);
  if (matches.length === 0) return { text, count: 0 };
  let out = "";
  let position = 0;
  for (const match of matches) {
    out += text.slice(position, match.at) + placeholder;
    position = match.at + match.length;
  }
  return { text: out + text.slice(position), count: matches.length };
}

/** The same on bytes: forms are matched as their UTF-8 encoding. */
export function scrubBuffer(
  body: Buffer,
  forms: readonly string[],
  placeholder: string = DEFAULT_PLACEHOLDER,
): { body: Buffer; count: number } {
  const needles = forms.filter((form) => form.length > 0).map((form) => Buffer.from(form, "utf8"));
  needles.sort((a, b) => b.length - a.length);
  const matches = findMatches(searchIn(body), needles, 0, body.length);
  if (matches.length === 0) return { body, count: 0 };
  return { body: splice(body, matches, Buffer.from(placeholder, "utf8")), count: matches.length };
}

/** `body` with each match replaced by `replacement`. */
export function splice(body: Buffer, matches: readonly Match[], replacement: Buffer): Buffer {
  // Most chunks of most answers hold no secret: hand them on without a copy.
  if (matches.length === 0) return body;
  const parts: Buffer[] = [];
  let position = 0;
  for (const match of matches) {
    parts.push(body.subarray(position, match.at), replacement);
    position = match.at + match.length;
  }
  parts.push(body.subarray(position));
  return Buffer.concat(parts);
}
