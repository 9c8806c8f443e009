/**
 * Who may use the daemon, and where the function may dial, proven on raw sockets:
 * - `--allow CIDR` admits listed clients, everyone else gets 403 (another loopback address, 127.0.0.2, plays
 *   the outsider); `--proxy-token` needs `Proxy-Authorization: Bearer`, which is never forwarded;
 * - hosts without parameters get 407; link-local and metadata addresses are never dialled (403) even when they
 *   have parameters; loopback stays allowed.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordSection } from "./support/figures";
import { type SignedSetup, signingParameters, startSignedSetup } from "./support/local-daemon";
import { rawExchange } from "./support/raw-client";

const TOKEN = "proxy-token-for-hardening-tests";
let setup: SignedSetup;
const proven: string[] = [];

beforeAll(async () => {
  setup = await startSignedSetup(["--allow", "127.0.0.1/32", "--proxy-token", TOKEN, "--timeout", "3"]);
  const current = JSON.parse(readFileSync(setup.params.path, "utf8")) as Record<string, string>;
  setup.params.write({
    ...current,
    ...signingParameters("169.254.169.254").params,
    ...signingParameters("169.254.170.2").params,
  });
});

afterAll(async () => {
  recordSection("accessAndAddresses", { proven });
  await setup?.stop();
});

const get = (url: string, extra = "", localAddress?: string) =>
  rawExchange(
    setup.daemon.port,
    `GET ${url} HTTP/1.1\r\nHost: ${new URL(url).host}\r\n${extra}Connection: close\r\n\r\n`,
    localAddress ? { localAddress } : {},
  );
const bearer = `Proxy-Authorization: Bearer ${TOKEN}\r\n`;

describe("access", () => {
  it("a client outside --allow gets 403 and nothing is forwarded", async () => {
    const before = setup.upstream.requests.length;
    const response = await get(setup.url("/echo"), bearer, "127.0.0.2");
    expect(response.status).toBe(403);
    expect(setup.upstream.requests.length).toBe(before);
    proven.push("--allow refuses other clients with 403");
  });

  it("an allowed client without the proxy token gets 407 with Basic and Bearer challenges", async () => {
    const response = await get(setup.url("/echo"));
    expect(response.status).toBe(407);
    const challenges = response.headers.filter(([name]) => name === "proxy-authenticate").map(([, v]) => v);
    expect(challenges).toEqual(['Basic realm="ssm-sign-proxy"', 'Bearer realm="ssm-sign-proxy"']);
    const wrong = await get(setup.url("/echo"), "Proxy-Authorization: Bearer nope\r\n");
    expect(wrong.status).toBe(407);
    proven.push("--proxy-token required");
  });

  it("an allowed client with the token is served, and the token never reaches the upstream", async () => {
    const response = await get(setup.url("/echo/token"), bearer);
    expect(response.status).toBe(200);
    expect(response.body.toString()).not.toContain(TOKEN);
    proven.push("Proxy-Authorization is not forwarded");
  });
});

describe("addresses", () => {
  it("a host without parameters gets 407 naming the parameter path to create", async () => {
    const response = await get("http://api.unknown-host.example/echo", bearer);
    expect(response.status).toBe(407);
    expect(response.body.toString()).toMatch(/no parameters for host api\.unknown-host\.example/);
    proven.push("hosts without parameters get 407");
  });

  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
  ])("%s has parameters but is never dialled: 403", async (url) => {
    const response = await get(url, bearer);
    expect(response.status).toBe(403);
    expect(response.body.toString()).toMatch(/link-local or metadata address/);
    proven.push(`${new URL(url).host} never dialled`);
  });

  it("loopback stays allowed (127.0.0.1 and localhost reach the upstream)", async () => {
    const response = await get(setup.url("/echo/loopback"), bearer);
    expect(response.status).toBe(200);
  });

  it("no canary value leaked", async () => {
    expect(await setup.leaks()).toEqual([]);
  });
});
