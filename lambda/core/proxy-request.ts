/**
 * The wire format between the daemon (or an ALB) and the function: the ALB Lambda target event and result.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
 *
 * ALB sends either the multi-value form (target group attribute `lambda.multi_value_headers.enabled`) or
 * the single-value form, and expects the result in the same form: a mismatch makes it answer 502.
 * Query keys and values arrive still percent-encoded, exactly as the client sent them, from an ALB and from our
 * daemon; the original Go daemon sends them decoded (see lambda/wire/event-source.ts and docs/migrating-from-go.md).
 */
import type { UpstreamHost } from "./host-key";

/** Who called, as the daemon saw it. Our addition to ALB's `requestContext`; used only for the audit log. */
export interface CallerContext {
  /** The client's address as seen by the daemon (never forwarded to the third party). */
  address?: string;
  /** The daemon host's name. */
  hostname?: string;
  /** The EC2 instance id from IMDSv2, when the daemon runs on EC2. */
  instanceId?: string;
  /** The daemon's mode: "lambda" or "local". */
  mode?: string;
}

/** What the original Go daemon puts in `requestContext.instance`: the mark of its events. */
export interface GoInstanceContext {
  instance_id?: string;
  hostname?: string;
}

export interface AlbRequestContext {
  elb?: { targetGroupArn?: string };
  caller?: CallerContext;
  instance?: GoInstanceContext;
  /**
   * Our addition: set by a daemon that calls InvokeWithResponseStream, so the function answers with a metadata
   * prelude and streams the body. Absent (ALB, plain Invoke, older daemons): one buffered ALB result.
   */
  responseMode?: "stream";
}

interface AlbEventBase {
  requestContext?: AlbRequestContext;
  httpMethod: string;
  path: string;
  body?: string | null;
  isBase64Encoded?: boolean;
  /**
   * Our daemon's addition: the query exactly as the client wrote it (without `?`). The grouped fields cannot
   * tell `flag` from `flag=` nor keep the order between names; older functions ignore this field.
   */
  rawQueryString?: string;
}

export interface AlbMultiValueEvent extends AlbEventBase {
  multiValueHeaders: Record<string, string[]>;
  multiValueQueryStringParameters?: Record<string, string[]> | null;
}

export interface AlbSingleValueEvent extends AlbEventBase {
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string> | null;
}

export type AlbEvent = AlbMultiValueEvent | AlbSingleValueEvent;

interface AlbResultBase {
  statusCode: number;
  statusDescription?: string;
  body: string;
  isBase64Encoded: boolean;
}

export interface AlbMultiValueResult extends AlbResultBase {
  multiValueHeaders: Record<string, string[]>;
}

export interface AlbSingleValueResult extends AlbResultBase {
  headers: Record<string, string>;
}

export type AlbResult = AlbMultiValueResult | AlbSingleValueResult;

/** The part of the Lambda context object the handler uses; anything with these fields will do. */
export interface InvocationContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
  /** Our addition, in-process only (the daemon's --local mode): aborted when the client went away. */
  abortSignal?: AbortSignal;
}

/** Headers as raw [name, value] pairs, in order, duplicates kept (like Node's `rawHeaders`, paired). */
export type HeaderPairs = Array<[name: string, value: string]>;

/**
 * Query as raw [key, value] pairs, still percent-encoded as on the wire; order and duplicates kept.
 * A null value is a key written without `=` (`?flag`); an empty string is `?e=`.
 */
export type QueryPairs = Array<[key: string, value: string | null]>;

/** A decoded request: what the signer works on. */
export interface ProxyRequest {
  method: string;
  /** The raw path as sent by the client, still percent-encoded, without the query. */
  path: string;
  query: QueryPairs;
  headers: HeaderPairs;
  body: Buffer;
}

/**
 * A request on its way into the signing core (lambda/handler/core.ts): the API to call, parsed once by whoever
 * decoded the request, and who asked (for the audit log only).
 */
export interface SignRequest extends ProxyRequest {
  host: UpstreamHost;
  caller?: CallerContext;
}

/** A response on its way back: status, raw header pairs and exact body bytes. */
export interface ProxyResponse {
  statusCode: number;
  headers: HeaderPairs;
  body: Buffer;
}
