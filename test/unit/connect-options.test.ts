/**
 * The pure parts of CONNECT support: the flags (--intercept, --ca-dir, --tunnel), which requests a tunnel
 * accepts (its authority picks the host; another named host is 421), and the --tunnel patterns.
 */
import { describe, expect, it } from "vitest";
import { parseHost, type UpstreamHost } from "../../lambda/core/host-key";
import { parseCli } from "../../proxy-daemon/cli/cli-options";
import { parseTunnelHosts } from "../../proxy-daemon/http/connect/tunnel-hosts";
import { type Tunnel, tunnelTarget, tunnelUpstream } from "../../proxy-daemon/http/connect/tunnel-target";

function options(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseCli(["--local", "p.json", ...argv], env);
  if (parsed.kind !== "run") throw new Error(JSON.stringify(parsed));
  return parsed.options;
}

describe("flags", () => {
  it("interception is off by default; the CA lives under XDG_STATE_HOME, else ~/.local/state", () => {
    expect(options([], { HOME: "/home/u" })).toMatchObject({
      intercept: false,
      caDir: "/home/u/.local/state/ssm-sign-proxy",
    });
    expect(options([], { XDG_STATE_HOME: "/state" }).caDir).toBe("/state/ssm-sign-proxy");
  });

  it("--intercept / SSM_SIGN_PROXY_INTERCEPT=1, --ca-dir / SSM_SIGN_PROXY_CA_DIR, --tunnel / SSM_SIGN_PROXY_TUNNEL", () => {
    const flags = options(["--intercept", "--ca-dir", "/ca", "--tunnel", "registry.npmjs.org,*.pypi.org"]);
    expect(flags).toMatchObject({ intercept: true, caDir: "/ca" });
    expect(flags.tunnel.patterns).toEqual(["registry.npmjs.org", "*.pypi.org"]);
    const env = options([], {
      SSM_SIGN_PROXY_INTERCEPT: "1",
      SSM_SIGN_PROXY_CA_DIR: "/env-ca",
      SSM_SIGN_PROXY_TUNNEL: "*.example.com",
    });
    expect(env).toMatchObject({ intercept: true, caDir: "/env-ca" });
    expect(env.tunnel.matches("a.example.com")).toBe(true);
    expect(options([], { SSM_SIGN_PROXY_INTERCEPT: "0" }).intercept).toBe(false);
  });

  it("refuses a bad SSM_SIGN_PROXY_INTERCEPT and a bad --tunnel pattern, naming them", () => {
    expect(parseCli(["--local", "p"], { SSM_SIGN_PROXY_INTERCEPT: "yes" })).toMatchObject({
      kind: "usage-error",
      message: expect.stringContaining("SSM_SIGN_PROXY_INTERCEPT must be 1 or 0"),
    });
    expect(parseCli(["--local", "p", "--tunnel", "a.com,*"], {})).toMatchObject({
      kind: "usage-error",
      message: expect.stringContaining('--tunnel: "*" is not a host name or a *.suffix pattern'),
    });
  });
});

describe("--tunnel patterns", () => {
  const parsed = parseTunnelHosts("registry.npmjs.org, *.pypi.org ,Files.PythonHosted.org.");
  if ("kind" in parsed) throw new Error(parsed.message);
  const hosts = parsed;
  it.each([
    ["registry.npmjs.org", true],
    ["REGISTRY.npmjs.org.", true],
    ["upload.pypi.org", true],
    ["a.b.pypi.org", true],
    ["pypi.org", false],
    ["evilpypi.org", false],
    ["files.pythonhosted.org", true],
    ["npmjs.org", false],
  ])("%s → %s", (host, expected) => expect(hosts.matches(host)).toBe(expected));
});

describe("requests inside a tunnel", () => {
  const upstream = (host: string, port: number) => tunnelUpstream(host, port) as UpstreamHost;
  const tunnel = (host: string, port: number): Tunnel => ({
    host,
    port,
    upstream: upstream(host, port),
    tls: true,
    client: "127.0.0.1",
  });

  it("port 443 and 80 pick /host/, other ports /host_port/ (the usual rule)", () => {
    expect(upstream("api.github.com", 443).key).toBe("api.github.com");
    expect(upstream("api.github.com", 80).key).toBe("api.github.com");
    expect(upstream("localhost", 8443).key).toBe("localhost_8443");
    expect(tunnelUpstream("bad_host", 443)).toMatchObject({ code: "host-invalid" });
  });

  it.each([
    ["api.github.com", undefined],
    ["API.GitHub.com", undefined],
    ["api.github.com:443", undefined],
    ["api.github.com.", undefined],
    ["api.github.com:444", "misdirected-request"],
    ["uploads.github.com", "misdirected-request"],
  ])("Host %s in a tunnel to api.github.com:443 → %s", (host, code) => {
    const target = tunnelTarget(tunnel("api.github.com", 443), "/user?x=1", host);
    if (code) expect(target).toMatchObject({ code, status: 421 });
    else
      expect(target).toEqual({
        kind: "forward",
        authority: "api.github.com",
        host: parseHost("api.github.com"),
        path: "/user",
        query: [["x", "1"]],
      });
  });

  it("an absolute URI naming another host is 421 too; naming the tunnel's host it is used for the path", () => {
    const t = tunnel("localhost", 8443);
    expect(tunnelTarget(t, "http://other.example/x", "localhost:8443")).toMatchObject({
      code: "misdirected-request",
    });
    expect(tunnelTarget(t, "https://localhost:8443/x?q", undefined)).toMatchObject({
      kind: "forward",
      authority: "localhost:8443",
      path: "/x",
    });
    expect(tunnelTarget(t, "*", "localhost:8443")).toMatchObject({ code: "request-target-invalid" });
  });
});
