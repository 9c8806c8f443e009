/**
 * Slowloris: 200 half-open connections that trickle header bytes and never finish must not starve real
 * clients. The daemon sets headersTimeout (10 s) and requestTimeout (max(60 s, --timeout)) deliberately, so
 * each such connection is eventually closed with 408; meanwhile real requests are answered normally.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordSection } from "./support/figures";
import { type SignedSetup, startSignedSetup } from "./support/local-daemon";
import { rawExchange } from "./support/raw-client";

const ATTACKERS = 200;
let setup: SignedSetup;
const attackers: Socket[] = [];
let trickle: NodeJS.Timeout | undefined;

beforeAll(async () => {
  setup = await startSignedSetup(["--timeout", "5"]);
});

afterAll(async () => {
  clearInterval(trickle);
  for (const socket of attackers) socket.destroy();
  await setup?.stop();
});

function openSlowConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`GET http://localhost/echo HTTP/1.1\r\nHost: localhost\r\n`);
      resolve(socket);
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "ECONNRESET" && err.code !== "EPIPE") reject(err);
    });
  });
}

describe("slowloris", () => {
  it(`${ATTACKERS} half-open connections trickling headers do not starve real clients`, async () => {
    for (let i = 0; i < ATTACKERS; i++) attackers.push(await openSlowConnection(setup.daemon.port));
    // One more header line per connection every second: never a complete request head.
    let line = 0;
    trickle = setInterval(() => {
      line++;
      for (const socket of attackers) if (!socket.destroyed) socket.write(`X-Slow-${line}: a\r\n`);
    }, 1000);

    let served = 0;
    for (let i = 0; i < 50; i++) {
      const response = await rawExchange(
        setup.daemon.port,
        `GET ${setup.url(`/echo/real-${i}`)} HTTP/1.1\r\nHost: localhost:${setup.upstream.port}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(200);
      served++;
    }
    const stillOpen = attackers.filter((s) => !s.destroyed).length;
    recordSection("slowloris", {
      halfOpenConnections: ATTACKERS,
      realRequestsServedMeanwhile: served,
      attackersStillOpen: stillOpen,
    });
    expect(served).toBe(50);
    expect(setup.daemon.child.exitCode).toBeNull();
  }, 60_000);

  it("the half-open connections are closed with 408 once headersTimeout passes", async () => {
    const closed = await Promise.all(
      attackers.slice(0, 20).map(
        (socket) =>
          new Promise<string>((resolve) => {
            let text = "";
            socket.setEncoding("utf8");
            socket.on("data", (chunk: string) => {
              text += chunk;
            });
            if (socket.destroyed) resolve(text);
            socket.once("close", () => resolve(text));
          }),
      ),
    );
    for (const text of closed) expect(text === "" || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(closed.some((text) => /^HTTP\/1\.1 408 /.test(text))).toBe(true);
  }, 40_000);
});
