/**
 * Lambda's failure signals -> the daemon's statuses. The errors are the SDK's own exception classes, built the
 * way its deserializer builds them; the end-to-end path is covered in test/e2e/daemon-modes.test.ts.
 */
import {
  LambdaServiceException,
  RequestTooLargeException,
  ResourceNotFoundException,
  TooManyRequestsException,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { refusalForFailure } from "../../proxy-daemon/http/invoke-refusals";
import { failureFromError } from "../../proxy-daemon/invoke/lambda/invoke-failures";

const meta = { $metadata: {} };

describe("failureFromError -> refusalForFailure", () => {
  it.each([
    [
      new TooManyRequestsException({ ...meta, message: "Rate exceeded", retryAfterSeconds: "3" }),
      503,
      /^throttled: .*Rate exceeded/,
      "3",
    ],
    [
      new ResourceNotFoundException({ ...meta, message: "Function not found" }),
      503,
      /function signer not found/,
      undefined,
    ],
    // Not modelled by the SDK: it arrives as a generic service exception carrying the error code as its name.
    [
      new LambdaServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "not authorized",
      }),
      503,
      /not allowed to call lambda:InvokeFunction on signer/,
      undefined,
    ],
    [
      new RequestTooLargeException({ ...meta, message: "Request must be smaller than 6291456 bytes" }),
      413,
      /request too large/,
      undefined,
    ],
    [
      new LambdaServiceException({
        name: "RequestEntityTooLargeException",
        $fault: "client",
        $metadata: { httpStatusCode: 413 },
        message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
      }),
      413,
      /request too large for Lambda/,
      undefined,
    ],
    [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { name: "Error" }),
      503,
      /invoking signer failed: Error: connect ECONNREFUSED/,
      undefined,
    ],
  ])("%s -> %i", (error, status, message, retryAfter) => {
    const mapped = refusalForFailure(failureFromError("signer", error, 30, false));
    expect(mapped.status).toBe(status);
    expect(mapped.message).toMatch(message);
    expect(mapped.headers?.find(([n]: [string, string]) => n === "Retry-After")?.[1]).toBe(retryAfter);
  });

  it("an aborted call is a timeout (504) naming the limit", () => {
    const mapped = refusalForFailure(failureFromError("signer", new Error("Request aborted"), 7, true));
    expect(mapped).toEqual({
      status: 504,
      code: "invoke-timeout",
      message: "timeout: no answer from function signer within 7 s",
    });
  });

  it("a function error is 502 naming only the errorType: the message may quote a URL with a query secret", () => {
    const mapped = refusalForFailure({
      kind: "function-error",
      errorType: "*url.Error",
      errorMessage: 'Get "https://api.example.com/x?access_token=canary-fn-error": dial tcp: refused',
    });
    expect(mapped).toEqual({
      status: 502,
      code: "function-error",
      message:
        "the signer failed with a function error (*url.Error); its message is in the daemon's log at debug level (--log-level debug)",
    });
  });

  it("an errorType is reduced to a name", () => {
    const mapped = refusalForFailure({
      kind: "function-error",
      errorType: "Bad type\r\nX: y",
      errorMessage: "",
    });
    expect(mapped.message).toContain("(BadtypeX:y)");
  });
});
