/**
 * The response writer: every answer leaves through here, framing recomputed (Content-Length, Connection: close
 * when the connection cannot be reused or the daemon is draining), headers otherwise as given.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { flattenPairs } from "../../lambda/core/header-pairs";
import type { HeaderPairs, ProxyResponse } from "../../lambda/core/proxy-request";
import { isRefusal, type Refusal, type RefusalCode, refusalResponse } from "../../lambda/core/refusal";

const NO_BODY_STATUS = (status: number) => status < 200 || status === 204 || status === 304;

/**
 * What the writer gets, written as it is (only framing is recomputed): an own answer (a refusal, or an own
 * page), or a relayed one, which its invoker has already filtered for the client (the core in local mode, the
 * Lambda invoker on arrival). So an own 407 keeps its Proxy-Authenticate challenge (RFC 9110 §11.7.1) and a
 * relayed one never carries one, with no strip-and-re-add.
 */
export type Answer =
  | { kind: "own"; response: ProxyResponse; code?: RefusalCode; close: boolean }
  | { kind: "relayed"; response: ProxyResponse; code?: RefusalCode; close: boolean };

export function own(outcome: ProxyResponse | Refusal, close = false): Answer {
  return isRefusal(outcome)
    ? { kind: "own", response: refusalResponse(outcome), code: outcome.code, close }
    : { kind: "own", response: outcome, close };
}

export function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: Answer,
  draining: boolean,
): void {
  const { response } = answer;
  const close = answer.close;
  const headers: HeaderPairs = response.headers.filter(
    ([name]) => name.toLowerCase() !== "content-length" || req.method === "HEAD",
  );
  if (req.method !== "HEAD" && !NO_BODY_STATUS(response.statusCode)) {
    headers.push(["Content-Length", String(response.body.length)]);
  }
  if (close || draining) {
    headers.push(["Connection", "close"]);
    res.shouldKeepAlive = false;
  }
  res.writeHead(response.statusCode, flattenPairs(headers));
  res.end(req.method === "HEAD" || NO_BODY_STATUS(response.statusCode) ? undefined : response.body);
}
