/**
 * The bench's HTTPS upstream, as its own process so that serving it never shares an event loop with the load
 * generator or the proxy under test. Prints one JSON line `{port, caFile}` on stdout once listening, then serves
 * until SIGTERM.
 */
import { startHttpsUpstream } from "../support/https-upstream";

const upstream = await startHttpsUpstream({
  // Longer than any pause between rounds, so every scenario finds its keep-alive connections still open.
  keepAliveTimeoutMs: 60_000,
});
// The server records every request for tests; a bench sends hundreds of thousands, so keep none of them.
setInterval(() => {
  upstream.requests.length = 0;
}, 1000).unref();
process.stdout.write(`${JSON.stringify({ port: upstream.port, caFile: upstream.ca.caFile })}\n`);

const stop = () => {
  void upstream.stop().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
