/** A malformed event or result: answered with 400 (event) or 502 (result), never thrown. */
export interface CodecError {
  kind: "codec-error";
  message: string;
}

export function codecError(message: string): CodecError {
  return { kind: "codec-error", message };
}

export function isCodecError(value: unknown): value is CodecError {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "codec-error";
}
