/** Answers the function gives itself. Each carries a one-line text body naming the cause and the fix. */
import type { HeaderPairs, ProxyResponse } from "../core/proxy-request";

export function textResponse(
  statusCode: number,
  message: string,
  extraHeaders: HeaderPairs = [],
): ProxyResponse {
  return {
    statusCode,
    headers: [
      ["content-type", "text/plain; charset=utf-8"],
      ["x-ssm-sign-proxy-error", "1"],
      ...extraHeaders,
    ],
    body: Buffer.from(`${message}\n`, "utf8"),
  };
}
