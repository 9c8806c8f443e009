/**
 * Refusals for the moments node:http gives us a bare socket instead of a ServerResponse: CONNECT, and requests
 * its parser rejected. Built by the same refusalResponse as every other own answer, then closed.
 */
import { STATUS_CODES } from "node:http";
import { type Refusal, refusalResponse, refuse } from "../../lambda/core/refusal";

/** A refusal written straight to a socket (CONNECT, parser errors: no ServerResponse exists), then closed. */
export function rawRefusal(refusal: Refusal): string {
  const { statusCode, headers, body } = refusalResponse(refusal);
  const head = [
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? "Error"}`,
    ...headers.map(([n, v]) => `${n}: ${v}`),
    "Connection: close",
  ];
  return `${head.join("\r\n")}\r\n\r\n${body.toString("utf8")}`;
}

/** Parser errors from node:http (llhttp codes) -> refusal. */
export function clientErrorRefusal(err: NodeJS.ErrnoException, maxHeaderBytes: number): Refusal {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return refuse("headers-too-large", `request headers are larger than ${maxHeaderBytes} bytes`);
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return refuse("request-timeout", "the request was not received in time");
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
      return refuse(
        "request-malformed",
        "malformed request: Content-Length together with Transfer-Encoding is refused (RFC 9112 §6.3)",
      );
    default: {
      const reason = (err as { reason?: string }).reason ?? err.message;
      return refuse("request-malformed", `malformed HTTP request: ${reason}`);
    }
  }
}
