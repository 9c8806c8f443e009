#!/usr/bin/env node
// An offline stand-in for a third-party API: HTTPS on https://localhost:8443 that answers every request with
// a JSON description of what it received, so you can see the header the signer injected.
//
//   node examples/echo-server.mjs [--port 8443]
//
// Its certificate (echo-server.crt) is self-signed for localhost only and is not a CA (it cannot vouch for
// any other host), so trusting it is safe; its key is public on purpose. The daemon is the process that
// dials this server, so the daemon needs: NODE_EXTRA_CA_CERTS=examples/echo-server.crt
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const portFlag = process.argv.indexOf("--port");
const port = Number(portFlag === -1 ? (process.env.PORT ?? 8443) : process.argv[portFlag + 1]);
const certFile = join(here, "echo-server.crt");

const server = createServer(
  { key: readFileSync(join(here, "echo-server.key")), cert: readFileSync(certFile) },
  (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const headers = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
      const body = JSON.stringify(
        { method: req.method, url: req.url, headers, body: Buffer.concat(chunks).toString("utf8") },
        null,
        2,
      );
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(`${body}\n`);
    });
  },
);

server.listen(port, "localhost", () => {
  const { port: bound } = server.address();
  const cert = relative(process.cwd(), certFile) || certFile;
  process.stdout.write(
    `echo server listening on https://localhost:${bound}\n` +
      `start the daemon with: NODE_EXTRA_CA_CERTS=${cert} npx ssm-sign-proxy --local examples/params.json\n`,
  );
});

for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => server.close(() => process.exit(0)));
