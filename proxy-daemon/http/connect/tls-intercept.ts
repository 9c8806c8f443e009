/**
 * Terminates the client's TLS inside a tunnel with a leaf for the CONNECT host, signed by the local CA.
 * SNI, when sent, must name the CONNECT host: a client asking for another name inside a tunnel to this one is
 * either confused or trying to get one host's secrets sent to another, and gets the tunnel closed.
 * ALPN offers http/1.1 only: the proxy's server speaks HTTP/1.1.
 */
import type { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import type { LeafCache } from "../../tls/leaf-cache";

const HANDSHAKE_TIMEOUT_MS = 10_000;

export type HandshakeOutcome = { kind: "secure"; socket: TLSSocket } | { kind: "failed"; reason: string };

export function terminateTls(
  socket: Duplex,
  host: string,
  leaves: LeafCache,
  done: (outcome: HandshakeOutcome) => void,
): void {
  let settled = false;
  const settle = (outcome: HandshakeOutcome) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(outcome);
  };
  let mismatch: string | undefined;
  const tls = new TLSSocket(socket as never, {
    isServer: true,
    secureContext: leaves.contextFor(host),
    ALPNProtocols: ["http/1.1"],
    SNICallback: (servername, callback) => {
      const name = servername.toLowerCase().replace(/\.$/, "");
      if (name === host.replace(/\.$/, "")) return callback(null, leaves.contextFor(host));
      mismatch = servername.slice(0, 253);
      callback(new Error("SNI names another host than CONNECT"), undefined);
    },
  });
  const timer = setTimeout(() => {
    settle({ kind: "failed", reason: `no TLS handshake within ${HANDSHAKE_TIMEOUT_MS / 1000}s` });
    tls.destroy();
  }, HANDSHAKE_TIMEOUT_MS);
  timer.unref();
  tls.once("secure", () => settle({ kind: "secure", socket: tls }));
  tls.on("error", (err: NodeJS.ErrnoException) => {
    const reason =
      mismatch !== undefined
        ? `TLS SNI ${JSON.stringify(mismatch)} does not name the CONNECT host ${host}: one tunnel per host`
        : `TLS handshake failed (${err.code ?? err.message}); does the client trust the local CA? see \`ssm-sign-proxy env\``;
    settle({ kind: "failed", reason });
    tls.destroy();
    socket.destroy();
  });
  tls.once("close", () =>
    settle({ kind: "failed", reason: "the client closed the tunnel during the TLS handshake" }),
  );
}
