/**
 * One request per connection at a time. Node's server emits every pipelined request on a connection at once
 * and runs them concurrently, each buffering its whole answer: one client pipelining 80 requests for 4 MB
 * answers without reading added 500+ MB. Here the next request on a connection starts only once the previous
 * answer has been handed to the socket in full ('finish'; for a streamed answer, its last chunk) or the socket
 * is gone, so a client that does not read holds one answer at most; while requests wait, the socket is paused
 * so that no more are parsed. Requests still waiting when the socket goes are dropped, never started.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Requests parsed before the pause takes effect (one read holds up to 64 KB of pipelined request heads; each
 * waiting request costs about 2 KB); more than this is a hostile client, and its connection is closed.
 */
export const MAX_QUEUED_PER_CONNECTION = 256;

interface ConnectionState {
  busy: boolean;
  waiting: Array<() => void>;
  pausedByUs: boolean;
}

const states = new WeakMap<Socket, ConnectionState>();

/**
 * Runs `start` for this request now, or once the requests before it on the same connection are done.
 * `start` must resolve once the answer is written (or abandoned).
 */
export function serialise(req: IncomingMessage, res: ServerResponse, start: () => Promise<void>): void {
  const socket = req.socket;
  let state = states.get(socket);
  if (!state) {
    state = { busy: false, waiting: [], pausedByUs: false };
    states.set(socket, state);
  }
  const current = state;
  const run = () => {
    current.busy = true;
    // Reading this request's body resumes the socket (Node's IncomingMessage does): once the body is in,
    // pause it again if requests are waiting, so nothing more is parsed until their turn.
    const repause = () => {
      if (current.pausedByUs && current.waiting.length > 0 && !socket.destroyed) socket.pause();
    };
    if (req.complete) repause();
    else req.once("end", repause);
    void start().then(() => {
      // The answer may still be in the socket's buffer: the next request waits for all of it to be handed on.
      if (res.writableFinished || res.destroyed) next();
      else {
        res.once("finish", next);
        res.once("close", next);
      }
    });
  };
  let done = false;
  const next = () => {
    if (done) return;
    done = true;
    current.busy = false;
    // The client is gone (or was disconnected by --write-timeout): its queued requests are never started.
    if (socket.destroyed) {
      current.waiting.length = 0;
      return;
    }
    const following = current.waiting.shift();
    if (following) following();
    else if (current.pausedByUs) {
      current.pausedByUs = false;
      // node:http pauses the socket (and its parser) itself when the client does not read its answers, and
      // resumes both on drain; resuming the socket under a paused parser would make it fail the connection.
      if (!socket.destroyed && !(socket as Socket & { _paused?: boolean })._paused) socket.resume();
    }
  };
  if (!current.busy) {
    run();
    return;
  }
  if (current.waiting.length >= MAX_QUEUED_PER_CONNECTION) {
    socket.destroy();
    return;
  }
  current.waiting.push(run);
  if (!current.pausedByUs) {
    current.pausedByUs = true;
    socket.pause();
  }
}
