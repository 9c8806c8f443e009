// The built function (dist/lambda/index.mjs) plus two paths that fail the ways a deployed function can: an
// uncaught exception, and a result over Lambda's 6 MB response limit. Every other request is the real handler's.
import { handler as realHandler } from "../../../dist/lambda/index.mjs";

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");

/** The fault's result, or undefined for the real handler; throws for /fault/throw. */
function fault(event) {
  if (event?.path === "/fault/throw") throw new RangeError("fault injected by the hardening suite");
  if (event?.path === "/fault/huge-result") {
    return {
      statusCode: 200,
      multiValueHeaders: {},
      isBase64Encoded: false,
      body: "x".repeat(7 * 1024 * 1024),
    };
  }
  return undefined;
}

// Under the runtime stand-in the real handler streams (awslambda.streamifyResponse): so must this wrapper, and
// a fault result is written as the whole payload, as a buffered function's result would be.
export const handler =
  realHandler[STREAMING] === "response"
    ? awslambda.streamifyResponse(async (event, stream, context) => {
        const result = fault(event);
        if (result === undefined) return realHandler(event, stream, context);
        stream.setContentType("application/json");
        await new Promise((resolve) => stream.end(JSON.stringify(result), resolve));
      })
    : async (event, context) => fault(event) ?? realHandler(event, context);
