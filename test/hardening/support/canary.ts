/**
 * Canary secrets: recognisable, unique values injected as parameters (headers, basic auth, queries, rewritten
 * paths) so every artefact a run produces can be searched for them afterwards. A leak is any occurrence in a
 * log line, an error body, a metric label or an exception: in the raw text, or in the encodings a careless
 * log would use (base64 of `user:password`, percent-encoding of a query value).
 */
import { randomBytes } from "node:crypto";

export interface Canaries {
  /** Every raw value we injected. */
  values: string[];
  /** Every form in which a value could show up in text (raw, base64 basic credentials, percent-encoded). */
  needles: string[];
}

export function canaryValue(label: string): string {
  return `CANARY-${label}-${randomBytes(8).toString("hex")}`;
}

export function canariesFor(values: string[], basic?: { username: string; password: string }): Canaries {
  const needles = new Set<string>();
  for (const v of values) {
    needles.add(v);
    needles.add(encodeURIComponent(v));
    // The random part alone: catches a value that was truncated, re-cased or quoted on its way into a log.
    const tail = /-([0-9a-f]{16})$/.exec(v)?.[1];
    if (tail) needles.add(tail);
  }
  if (basic) needles.add(Buffer.from(`${basic.username}:${basic.password}`).toString("base64"));
  return { values, needles: [...needles] };
}

export interface Leak {
  where: string;
  needle: string;
  excerpt: string;
}

/** Every place a needle occurs in the named texts. */
export function findLeaks(canaries: Canaries, texts: Record<string, string>): Leak[] {
  const leaks: Leak[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const needle of canaries.needles) {
      const at = text.indexOf(needle);
      if (at !== -1) leaks.push({ where, needle, excerpt: text.slice(Math.max(0, at - 80), at + 80) });
    }
  }
  return leaks;
}
