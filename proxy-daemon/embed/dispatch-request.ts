// Turns undici's dispatch options into the signer's request parts (target, headers, buffered body).
import type { Dispatcher } from "undici";
import { isHostError, parseHost, type UpstreamHost } from "../../lambda/core/host-key";
import type { HeaderPairs } from "../../lambda/core/proxy-request";
import { type Refusal, refuse } from "../../lambda/core/refusal";

type Body = Dispatcher.DispatchOptions["body"];

export async function collectBody(body: Body, maxBytes: number): Promise<Buffer | Refusal> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      size += buf.length;
      if (size > maxBytes)
        return refuse("body-too-large", `request body is over the maxBodyBytes limit of ${maxBytes} bytes`);
      chunks.push(buf);
    }
    return Buffer.concat(chunks, size);
  }
  return refuse("body-type-unsupported", "unsupported request body type: use a string, bytes or a stream");
}

export function headerPairs(headers: Dispatcher.DispatchOptions["headers"]): HeaderPairs {
  const pairs: HeaderPairs = [];
  const push = (name: string, value: string | string[] | number | undefined | null) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)]);
    else pairs.push([name, String(value)]);
  };
  if (!headers) return pairs;
  if (Array.isArray(headers)) {
    // Either a flat [name, value, name, value] list or a list of pairs.
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as Array<[string, string]>) push(name, value);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) push(String(headers[i]), headers[i + 1]);
    }
    return pairs;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>)
      push(name, value);
    return pairs;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>))
    push(name, value);
  return pairs;
}

/** Where a dispatched request goes: `origin` + `path`. Only http(s) URLs name an API the signer can call. */
export function targetOf(
  opts: Dispatcher.DispatchOptions,
): { host: UpstreamHost; pathAndQuery: string } | Refusal {
  let origin: URL;
  try {
    origin = new URL(String(opts.origin ?? ""));
  } catch {
    return refuse("request-target-invalid", `invalid origin ${JSON.stringify(String(opts.origin ?? ""))}`);
  }
  if (origin.protocol !== "http:" && origin.protocol !== "https:") {
    return refuse(
      "scheme-unsupported",
      `unsupported URL scheme ${origin.protocol}: only http:// and https:// URLs can be signed`,
    );
  }
  if (origin.username || origin.password)
    return refuse("userinfo-refused", "URLs with userinfo are refused; put credentials in Parameter Store");
  // URL drops the scheme's default port (80/443): either way the signer's default, HTTPS on 443.
  const host = parseHost(origin.host);
  if (isHostError(host)) return refuse("host-invalid", host.message);
  return { host, pathAndQuery: opts.path || "/" };
}
