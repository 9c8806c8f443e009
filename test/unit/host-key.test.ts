import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isHostError, parseHost } from "../../lambda/core/host-key";

describe("host key", () => {
  it.each([
    ["api.github.com", "api.github.com", "api.github.com", 443],
    ["API.GitHub.com", "api.github.com", "api.github.com", 443],
    ["api.github.com:443", "api.github.com", "api.github.com", 443],
    ["api.github.com.", "api.github.com", "api.github.com", 443],
    ["localhost:8443", "localhost_8443", "localhost:8443", 8443],
    ["127.0.0.1:9000", "127.0.0.1_9000", "127.0.0.1:9000", 9000],
    ["xn--bcher-kva.example", "xn--bcher-kva.example", "xn--bcher-kva.example", 443],
    ["a-b.c1", "a-b.c1", "a-b.c1", 443],
  ])("%s -> key %s", (raw, key, authority, port) => {
    const host = parseHost(raw);
    if (isHostError(host)) throw new Error(host.message);
    expect(host).toMatchObject({ key, authority, port });
  });

  it.each([
    [undefined, /missing Host/],
    ["", /missing Host/],
    ["user:pass@api.github.com", /userinfo/],
    ["[::1]:8443", /IPv6/],
    ["api..github.com", /not a valid host name/],
    ["../etc", /not a valid host name/],
    ["a/b", /not a valid host name/],
    ["host_8443", /not a valid host name/],
    ["-bad.example", /not a valid host name/],
    ["bad-.example", /not a valid host name/],
    [`${"a".repeat(64)}.com`, /not a valid host name/],
    [`${"a.".repeat(130)}com`, /longer than 253/],
    ["example.com:0", /invalid port/],
    ["example.com:65536", /invalid port/],
    ["example.com:08443", /invalid port/],
    ["example.com:", /invalid port/],
    ["example.com:http", /invalid port/],
    ["999.1.1.1", /not a valid IPv4/],
    ["exa mple.com", /not a valid host name/],
    ["exa\u0000mple.com", /not a valid host name/],
    ["*.example.com", /not a valid host name/],
  ])("refuses %j", (raw, message) => {
    const host = parseHost(raw);
    expect(isHostError(host)).toBe(true);
    if (isHostError(host)) expect(host.message).toMatch(message);
  });

  it("derives only keys that are safe Parameter Store path segments, for any input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (raw) => {
        const host = parseHost(raw);
        if (isHostError(host)) return;
        expect(host.key).toMatch(/^[a-z0-9.\-_]+$/);
        expect(host.key).not.toContain("..");
        expect(host.key.length).toBeLessThanOrEqual(253 + 6);
      }),
      { numRuns: 10_000 },
    );
  });
});
