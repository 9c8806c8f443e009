/**
 * What the Node.js Lambda runtime offers a streaming function: the `awslambda` global
 * (aws-lambda-nodejs-runtime-interface-client). Absent outside Lambda (tests, --local): then the function
 * exports its buffered handler only.
 */
import type { Writable } from "node:stream";

/** The response stream the runtime hands a streamified handler (an HTTP request to the Runtime API). */
export interface ResponseStream extends Writable {
  setContentType(contentType: string): void;
}

export interface AwsLambdaGlobal {
  streamifyResponse<H>(handler: H, options?: { highWaterMark?: number }): H;
  HttpResponseStream: { from(stream: ResponseStream, prelude: Record<string, unknown>): ResponseStream };
}

export function awslambdaGlobal(): AwsLambdaGlobal | undefined {
  const candidate = (globalThis as { awslambda?: Partial<AwsLambdaGlobal> }).awslambda;
  return typeof candidate?.streamifyResponse === "function" && candidate.HttpResponseStream
    ? (candidate as AwsLambdaGlobal)
    : undefined;
}
