/**
 * Scrubbing a body that arrives in chunks. A form may be split across chunks, so the scrubber holds back a tail
 * of at most (longest form − 1) bytes: a match can only start in that tail once more bytes have arrived. A
 * match starting before the tail is decided with all the bytes it needs, so the output equals whole-buffer
 * scrubbing (scrubBuffer) whatever the chunking.
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

export function createStreamScrubber(
  forms: readonly string[],
  placeholder: string = DEFAULT_PLACEHOLDER,
): StreamScrubber {
  const needles = forms.filter((form) => form.length > 0).map((form) => Buffer.from(form, "utf8"));
  needles.sort((a, b) => b.length - a.length);
  const replacement = Buffer.from(placeholder, "utf8");
  const keep = Math.max(0, (needles[0]?.length ?? 0) - 1);
  let tail: Buffer = Buffer.alloc(0);
  let count = 0;

  return {
    push(chunk) {
      if (needles.length === 0) return chunk;
      const pending = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      // A match starting before `limit` has all its bytes in `pending` whatever its length.
      const limit = pending.length - keep;
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
