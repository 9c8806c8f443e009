/**
 * Node treats a 101 as an upgrade and, with no listener, destroys the socket without an error event: the request
 * would hang until the timeout. We never ask for an upgrade, so any 101 is a broken upstream: it fails at once
 * (`UPSTREAM_UPGRADE`, answered 502 `upstream-upgrade`). Shared by the buffered and the streaming client.
 */
import type { ClientRequest } from "node:http";

export function refuseUpgrade(req: ClientRequest, fail: (code: string) => void): void {
  req.on("upgrade", (_res, socket) => {
    socket.destroy();
    fail("UPSTREAM_UPGRADE");
  });
}
