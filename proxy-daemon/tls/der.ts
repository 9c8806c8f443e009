/**
 * The few DER (X.690) encodings an X.509 certificate needs, and a reader for the one field we read back (the
 * CA's subject). Written here rather than taken from a library: certificates are a fixed shape we build
 * ourselves, and node:crypto already does the key generation and signing (see docs/clients.md, "Why").
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
export const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
export const octetString = (content: Buffer): Buffer => tlv(0x04, content);
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, "utf8"));
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
/** `[n] EXPLICIT` (constructed, context-specific). */
export const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
/** `[n] IMPLICIT` of a primitive type (context-specific, primitive). */
export const implicit = (n: number, content: Buffer): Buffer => tlv(0x80 + n, content);

/** A BIT STRING whose bits are all used (signatures, keys). */
export const bitString = (content: Buffer): Buffer => tlv(0x03, Buffer.from([0]), content);

/** A BIT STRING of named bits (KeyUsage): bit 0 is the most significant; trailing zero bits are dropped. */
export function namedBits(bits: number[]): Buffer {
  const last = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return tlv(0x03, Buffer.from([7 - (last & 7)]), bytes);
}

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps it positive). */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

export function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const out = [first * 40 + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift(v & 0x7f);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${iso}Z`, "ascii"));
}

/** The direct children of a constructed element, each as its whole TLV. */
export function children(element: Buffer): Buffer[] {
  const read = (at: number): { header: number; size: number } => {
    const first = element[at + 1] ?? 0;
    if (first < 0x80) return { header: 2, size: first };
    const count = first & 0x7f;
    let size = 0;
    for (let i = 0; i < count; i++) size = size * 256 + (element[at + 2 + i] ?? 0);
    return { header: 2 + count, size };
  };
  const outer = read(0);
  const out: Buffer[] = [];
  for (let at = outer.header; at < outer.header + outer.size; ) {
    const { header, size } = read(at);
    out.push(element.subarray(at, at + header + size));
    at += header + size;
  }
  return out;
}
