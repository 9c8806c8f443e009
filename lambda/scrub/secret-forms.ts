/**
 * The spellings in which an injected secret can come back to a client: a server that reflects the request URL
 * (a redirect keeping the query, a login wall's `next=`, a 404 page quoting the path) or the request itself
 * (TRACE) shows it raw, percent-encoded once or twice, form-encoded, or inside a Basic credential.
 * Pure: no I/O.
 */

/** Shorter values are too likely to occur by chance in an answer (and too weak to be worth a secret). */
export const MIN_SECRET_LENGTH = 8;

/** `encodeURIComponent` throws on a lone surrogate; such a value cannot have been sent in that form anyway. */
function percentEncoded(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Every form of every value (at least MIN_SECRET_LENGTH characters), deduplicated, longest first. */
export function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  const add = (form: string | undefined): void => {
    if (form !== undefined && form.length >= MIN_SECRET_LENGTH) forms.add(form);
  };
  for (const value of values) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    add(value);
    const encoded = percentEncoded(value);
    if (encoded !== undefined) {
      add(encoded);
      // application/x-www-form-urlencoded writes spaces as `+`.
      add(encoded.replace(/%20/g, "+"));
      // A URL nested in another URL's query (`Location: /login?next=%2Fv1%3Fapi_key%3D...`).
      add(percentEncoded(encoded));
      // Servers that re-encode print lowercase hex as often as uppercase.
      add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
    // A Basic credential (`user:password`) travels base64-encoded in Authorization.
    if (value.includes(":")) add(Buffer.from(value, "utf8").toString("base64"));
  }
  return [...forms].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
}
