/**
 * `--proxy-token` guards the daemon's own pages too: /metrics tells who uses which API at what rate, /healthz
 * the signer's state. `--public-health` opens both again (a load balancer cannot send a token). The pages are
 * asked for directly, so the refusal is an origin server's 401 (fetch() turns a 407 into a network error).
 * Built daemon, --local mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startDaemonProcess } from "../e2e/daemon-process";
import { type ParamsFile, paramsFile } from "../e2e/params-file";
import { header, rawExchange } from "./support/raw-client";

const TOKEN = "own-pages-token-4c1f";
let params: ParamsFile;
let guarded: DaemonProcess;
let open: DaemonProcess;

beforeAll(async () => {
  params = paramsFile({ "/api.example.com/headers/X-Api-Key": "own-pages-secret" });
  [guarded, open] = await Promise.all([
    startDaemonProcess({ args: ["--local", params.path, "--proxy-token", TOKEN] }),
    startDaemonProcess({ args: ["--local", params.path, "--proxy-token", TOKEN, "--public-health"] }),
  ]);
});
afterAll(async () => {
  await Promise.all([guarded?.stop(), open?.stop()]);
  params?.remove();
});

const page = (daemon: DaemonProcess, path: string, extra = "") =>
  rawExchange(
    daemon.port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\n${extra}Connection: close\r\n\r\n`,
  );

describe("own pages with --proxy-token", () => {
  it.each([
    "/healthz",
    "/metrics",
  ])("%s needs the token: 401 without it, 200 with either header", async (path) => {
    const refused = await page(guarded, path);
    expect(refused.status).toBe(401);
    expect(header(refused, "x-ssm-sign-proxy-error")).toBe("page-token-required");
    expect(header(refused, "www-authenticate")).toMatch(/^Bearer/);
    expect(refused.body.toString()).not.toMatch(/ssm_sign_proxy_requests_total|"status"/);
    expect((await page(guarded, path, "Authorization: Bearer wrong\r\n")).status).toBe(401);
    expect((await page(guarded, path, `Authorization: Bearer ${TOKEN}\r\n`)).status).toBe(200);
    expect((await page(guarded, path, `Proxy-Authorization: Bearer ${TOKEN}\r\n`)).status).toBe(200);
  });

  it.each(["/healthz", "/metrics"])("%s is served without the token with --public-health", async (path) => {
    expect((await page(open, path)).status).toBe(200);
  });

  it("--public-health opens only the pages: proxied requests still need the token", async () => {
    const proxied = await rawExchange(
      open.port,
      "GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n",
    );
    expect(proxied.status).toBe(407);
  });
});
