import { createServer } from "node:net";

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 and releases it at once.
 *
 * There is a short window in which another process could take the port; servers that are spawned as
 * child processes (and so cannot listen on port 0 themselves) should retry on EADDRINUSE.
 * In-process servers should rather `listen(0, "127.0.0.1")` and read the port back.
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the port of a listening socket"));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
