// The built function (dist/lambda/index.mjs) plus two paths that fail the ways a deployed function can: an
// uncaught exception, and a result over Lambda's 6 MB response limit. Every other request is the real handler's.
import { handler as realHandler } from "../../../dist/lambda/index.mjs";

export async function handler(event, context) {
  if (event?.path === "/fault/throw") throw new RangeError("fault injected by the hardening suite");
  if (event?.path === "/fault/huge-result") {
    return {
      statusCode: 200,
      multiValueHeaders: {},
      isBase64Encoded: false,
      body: "x".repeat(7 * 1024 * 1024),
    };
  }
  return realHandler(event, context);
}
