#!/usr/bin/env node
// An offline stand-in for a third-party API: HTTPS on https://localhost:8443 that answers every request with
// a JSON description of what it received (the signer scrubs the injected token from that echo), and prints the
// Authorization header each request arrived with, so you can see the header the signer injected.
//
//   node examples/echo-server.mjs [--port 8443]
//
// Its certificate (echo-server.crt) is self-signed for the loopback names only (localhost, 127.0.0.1 and ::1)
// and is not a CA (it cannot vouch for any other host), so trusting it is safe; its key is public on purpose.
// The daemon is the process that dials this server, so the daemon needs:
// NODE_EXTRA_CA_CERTS=examples/echo-server.crt
//
// Stop it with Ctrl-C, or `kill %1` in the shell that started it with `&`.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { createServer as createTcpServer } from "node:net";
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
      // The answer quotes the token back, so the daemon scrubs it before the client sees it; this line shows
      // what arrived here.
      process.stdout.write(
        `echo server: ${req.method} ${req.url} arrived with Authorization: ${headers.Authorization ?? "(none)"}\n`,
      );
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(`${body}\n`);
    });
  },
);

// A request in plain HTTP means the client came straight here, not through the daemon: most often because
// no_proxy (or NO_PROXY) lists localhost. Say so, instead of the TLS error curl reports as "Empty reply".
const DIRECT = [
  "this is the echo server's HTTPS port and your request came here directly, in plain HTTP, not through the daemon.",
  `Is localhost in no_proxy or NO_PROXY? Run: no_proxy= NO_PROXY= http_proxy=http://127.0.0.1:8000 curl http://localhost:${port}/hello`,
  "",
].join("\n");

const listener = createTcpServer({ pauseOnConnect: true }, (socket) => {
  socket.once("readable", () => {
    const first = socket.read(1);
    if (first === null) return socket.destroy();
    socket.unshift(first);
    // 0x16 starts a TLS handshake record; anything else is not TLS.
    if (first[0] === 0x16) return server.emit("connection", socket);
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(DIRECT)}\r\n\r\n${DIRECT}`,
    );
  });
});

listener.on("error", (err) => {
  if (err.code === "EADDRINUSE") {
    process.stderr.write(
      `echo server: port ${port} on localhost is already in use, probably by an echo server from an earlier run: stop that one (kill %1 in its shell, or fuser -k ${port}/tcp), or give another port with --port N\n`,
    );
  } else {
    process.stderr.write(`echo server: cannot listen on localhost:${port}: ${err.message}\n`);
  }
  process.exit(1);
});

listener.listen(port, "localhost", () => {
  const { port: bound } = listener.address();
  const cert = relative(process.cwd(), certFile) || certFile;
  process.stdout.write(
    `echo server listening on https://localhost:${bound} (pid ${process.pid}: Ctrl-C or kill ${process.pid} stops it)\n` +
      `start the daemon with: NODE_EXTRA_CA_CERTS=${cert} npx ssm-sign-proxy --local examples/params.json\n`,
  );
});

// Stop at once: nothing is in flight worth waiting for, and the daemon's idle keep-alive connections would
// otherwise hold the port for seconds.
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(0));
