/**
 * Scenario (d): TooTallNate's `proxy` package, a plain Node forward proxy, with no signing.
 *
 * It forwards absolute-form `http://` requests with `http.request` (https is only for CONNECT tunnels, which the
 * daemon does not offer either). To compare like with like, every hop to the upstream must be HTTPS like the
 * daemon's, so this process swaps `http.request` for `https.request` (same options, on a keep-alive HTTPS agent
 * sized like the daemon's upstream pool: 256 sockets, as many kept idle, LIFO) and republishes it to ES-module
 * importers with `syncBuiltinESMExports` before `proxy` is loaded.
 * Trust for the upstream's test CA comes from NODE_EXTRA_CA_CERTS. Prints `{port}` once listening.
 */
import http from "node:http";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";

const agent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: "lifo" });
http.request = ((options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) =>
  https.request({ ...options, protocol: "https:", agent }, callback)) as typeof http.request;
syncBuiltinESMExports();

const { createProxy } = await import("proxy");
const server = createProxy(http.createServer());
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
