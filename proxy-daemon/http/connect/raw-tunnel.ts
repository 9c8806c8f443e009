/**
 * `--tunnel` hosts: a raw TCP pass-through. The daemon never sees the plaintext and attaches nothing; it only
 * checks, after DNS resolution, that the address is not link-local or metadata (the same guard as the
 * function's upstream client), so a tunnel cannot reach 169.254.169.254 through a rebinding name.
 */
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RefusalCode, refuse } from "../../../lambda/core/refusal";
import { FORBIDDEN_ADDRESS_CODE, guardedLookup } from "../../../lambda/upstream/address-guard";
import { CONNECT_ESTABLISHED, writeRefusal } from "./raw-answer";

const CONNECT_TIMEOUT_MS = 10_000;

export type RawTunnelOutcome = { status: number; code?: RefusalCode; error?: string };

export function openRawTunnel(
  client: Duplex,
  head: Buffer,
  host: string,
  port: number,
  done: (outcome: RawTunnelOutcome) => void,
): void {
  guardedLookup(host, {}, (err, address) => {
    if (err) {
      const forbidden = err.code === FORBIDDEN_ADDRESS_CODE;
      const refusal = forbidden
        ? refuse("metadata-address", `tunnel to ${host}: ${err.message}; these are never dialled, by design`)
        : refuse(
            "upstream-connect-failed",
            `tunnel to ${host}:${port}: cannot resolve (${err.code ?? "error"})`,
          );
      writeRefusal(client, refusal);
      done({ status: refusal.status, code: refusal.code, error: refusal.message });
      return;
    }
    const upstream: Socket = connect({ host: String(address), port, timeout: CONNECT_TIMEOUT_MS });
    const fail = (code: string) => {
      upstream.destroy();
      const refusal = refuse(
        "upstream-connect-failed",
        `tunnel to ${host}:${port}: connection failed (${code})`,
      );
      writeRefusal(client, refusal);
      done({ status: refusal.status, code: refusal.code, error: refusal.message });
    };
    upstream.once("timeout", () => fail("ETIMEDOUT"));
    upstream.once("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "error"));
    upstream.once("connect", () => {
      upstream.removeAllListeners("timeout");
      upstream.removeAllListeners("error");
      upstream.setTimeout(0);
      const close = () => {
        upstream.destroy();
        client.destroy();
      };
      upstream.on("error", close);
      client.on("error", close);
      upstream.on("close", close);
      client.on("close", close);
      client.write(CONNECT_ESTABLISHED);
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      done({ status: 200 });
    });
  });
}
