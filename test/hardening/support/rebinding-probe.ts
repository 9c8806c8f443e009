/**
 * Runs inside a private mount + network namespace (see dns-rebinding.test.ts), where /etc/hosts is bind-mounted
 * so that `rebind.test` resolves to 169.254.169.254 and `control.test` to 127.0.0.1, and 169.254.169.254 is an
 * address of the namespace's own loopback. A TCP listener on each address counts connections, so "never
 * dialled" is observed, not inferred from an error message.
 *
 * The function's handler runs here in-process over a parameter file (the same composition the daemon's local
 * mode uses); both hosts have parameters, so only the address can stop the request.
 * Prints one JSON line: the two answers and the connection counts.
 * With `undici` as argument the core sends through the daemon's --local upstream client instead of node:https.
 * Usage: node --import tsx rebinding-probe.ts [node-https|undici]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlbMultiValueEvent, AlbMultiValueResult } from "../../../lambda/core/proxy-request";
import { createHandler } from "../../../lambda/handler/handler";
import { LocalParameterFile } from "../../../proxy-daemon/invoke/local/local-parameter-file";
import { sendUpstreamUndici } from "../../../proxy-daemon/invoke/local/undici-upstream";

const METADATA = "169.254.169.254";

function countingListener(host: string, port: number): Promise<{ server: Server; count: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve({ server, count: () => connections }));
  });
}

function event(host: string): AlbMultiValueEvent {
  return {
    httpMethod: "GET",
    path: "/latest/meta-data/iam/security-credentials/",
    multiValueHeaders: { host: [host] },
    multiValueQueryStringParameters: {},
    body: "",
    isBase64Encoded: false,
  };
}

const metadata = await countingListener(METADATA, 0);
const port = (metadata.server.address() as { port: number }).port;
const control = await countingListener("127.0.0.1", port);

// Self-check: the metadata listener does see a connection when one is made, so a zero below means something.
await new Promise<void>((resolve, reject) => {
  const socket = connect(port, METADATA);
  socket.once("connect", () => {
    socket.destroy();
    resolve();
  });
  socket.once("error", reject);
});
await new Promise((r) => setTimeout(r, 50));
const selfCheck = metadata.count();

const dir = mkdtempSync(join(tmpdir(), "rebinding-"));
const file = join(dir, "params.json");
writeFileSync(
  file,
  JSON.stringify({
    [`/rebind.test_${port}/headers/X-Api-Key`]: "rebinding-probe-key",
    [`/control.test_${port}/headers/X-Api-Key`]: "rebinding-probe-key",
  }),
);
const source = await LocalParameterFile.open(file, () => {});
const logs: unknown[] = [];
const send = process.argv[2] === "undici" ? { send: sendUpstreamUndici } : {};
const handler = createHandler({ source, timeoutSeconds: 5, log: (line) => logs.push(line), ...send });
const answer = async (host: string) => {
  const result = (await handler(event(host))) as AlbMultiValueResult;
  const body = Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString("utf8");
  return { status: result.statusCode, body };
};
const rebind = await answer(`rebind.test:${port}`);
const controlAnswer = await answer(`control.test:${port}`);
await new Promise((r) => setTimeout(r, 50));

console.log(
  JSON.stringify({
    selfCheck,
    rebind,
    control: controlAnswer,
    metadataConnections: metadata.count() - selfCheck,
    controlConnections: control.count(),
  }),
);
source.close();
metadata.server.close();
control.server.close();
rmSync(dir, { recursive: true, force: true });
