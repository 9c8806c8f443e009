/** Node's flat `rawHeaders` <-> [name, value] pairs; names keep their case, duplicates and order are kept. */
import type { HeaderPairs } from "./proxy-request";

export function pairsFromRaw(raw: readonly string[]): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] ?? "", raw[i + 1] ?? ""]);
  return pairs;
}

export function flattenPairs(pairs: HeaderPairs): string[] {
  const flat: string[] = [];
  for (const [name, value] of pairs) flat.push(name, value);
  return flat;
}

/** Every value of one header (case-insensitive name). */
export function headerValues(pairs: HeaderPairs, name: string): string[] {
  const lower = name.toLowerCase();
  return pairs.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}
