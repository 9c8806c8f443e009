/**
 * Scrubbing a body that arrives in chunks. A form may be split across chunks, so the scrubber holds back a tail
 * of at most (longest form − 1) bytes: a match can only start in that tail once more bytes have arrived. A
 * match starting before the tail is decided with all the bytes it needs, so the output equals whole-buffer
 * scrubbing (scrubBuffer) whatever the chunking.
 * The tail is only as long as it must be: it starts at the first position whose remaining bytes begin some
 * form. Elsewhere no match can start, whatever follows; so a stream of events ending in "\n\n" holds nothing
 * back and each event goes out as it comes (a fixed tail would delay every event until the next one).
 * Pure: no I/O.
 */
import { DEFAULT_PLACEHOLDER, findMatches, searchIn, splice } from "./scrub-text";

export interface StreamScrubber {
  /** Scrubbed bytes that are final; some of `chunk` may be held back until the next push or end(). */
  push(chunk: Buffer): Buffer;
  /** The held-back tail, scrubbed. Call once, after the last push. */
  end(): Buffer;
  /** Forms replaced so far. */
  readonly count: number;
}

/** Where the tail must start: the first of the last `keep` positions whose bytes are a prefix of a form. */
function heldFrom(
  pending: Buffer,
  needles: readonly Buffer[],
  firstBytes: Set<number | undefined>,
  keep: number,
) {
  for (let at = Math.max(0, pending.length - keep); at < pending.length; at++) {
    if (!firstBytes.has(pending[at])) continue;
    const rest = pending.length - at;
    for (const needle of needles) {
      if (needle.length > rest && pending.compare(needle, 0, rest, at) === 0) return at;
    }
  }
  return pending.length;
}

export function createStreamScrubber(
  forms: readonly string[],
  placeholder: string = DEFAULT_PLACEHOLDER,
): StreamScrubber {
  const needles = forms.filter((form) => form.length > 0).map((form) => Buffer.from(form, "utf8"));
  needles.sort((a, b) => b.length - a.length);
  const replacement = Buffer.from(placeholder, "utf8");
  const keep = Math.max(0, (needles[0]?.length ?? 0) - 1);
  const firstBytes = new Set(needles.map((needle) => needle[0]));
  let tail: Buffer = Buffer.alloc(0);
  let count = 0;

  return {
    push(chunk) {
      if (needles.length === 0) return chunk;
      const pending = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      // A match starting before `limit` has all its bytes in `pending` whatever its length; one starting at or
      // after it may still be completed by the next chunk.
      const limit = heldFrom(pending, needles, firstBytes, keep);
      if (limit <= 0) {
        tail = pending;
        return Buffer.alloc(0);
      }
      const matches = findMatches(searchIn(pending), needles, 0, limit);
      count += matches.length;
      const last = matches.at(-1);
      const cut = Math.max(limit, last ? last.at + last.length : 0);
      // Copy the tail: `pending` may be the caller's chunk, which they are free to reuse.
      tail = Buffer.from(pending.subarray(cut));
      return splice(pending.subarray(0, cut), matches, replacement);
    },
    end() {
      const rest = tail;
      tail = Buffer.alloc(0);
      const matches = findMatches(searchIn(rest), needles, 0, rest.length);
      count += matches.length;
      return matches.length === 0 ? rest : splice(rest, matches, replacement);
    },
    get count() {
      return count;
    },
  };
}
