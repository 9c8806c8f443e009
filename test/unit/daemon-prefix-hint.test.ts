/** --local: the 407 for a host without parameters says when the file holds them under another prefix. */
import { describe, expect, it } from "vitest";
import { prefixHint } from "../../proxy-daemon/invoke/local/prefix-hint";

const FILE = "/home/me/.config/ssm-sign-proxy/params.json";

describe("prefixHint", () => {
  it("names the parameter and the --prefix that would find it", () => {
    expect(prefixHint(["/test/api.github.com/headers/Authorization"], "", "api.github.com", FILE)).toBe(
      `${FILE} has /test/api.github.com/headers/Authorization: start the daemon with --prefix /test`,
    );
    expect(prefixHint(["/a/b/localhost_8443/basic/username"], "/prod/", "localhost_8443", FILE)).toContain(
      "--prefix /a/b",
    );
  });

  it("says to drop --prefix when the file's names have none", () => {
    expect(prefixHint(["/api.github.com/headers/A"], "prod", "api.github.com", FILE)).toContain(
      "start the daemon with no --prefix",
    );
  });

  it("notices a file written for a prefix even when the host is not in it", () => {
    const names = [
      "/test/api.github.com/headers/A",
      "/test/localhost_8443/queries/key",
      "/test/example.org/github-app/app-id",
    ];
    expect(prefixHint(names, "", "example.com", FILE)).toBe(
      `every name in ${FILE} starts with /test/ but --prefix is not set: start the daemon with --prefix /test`,
    );
  });

  it.each([
    [["/test/api.github.com/headers/A"], "/test", "example.com"], // the prefix is set: nothing to say
    [["/api.github.com/headers/A", "/example.org/headers/B"], "", "example.com"], // no prefix in the file
    [["/test/api.github.com/headers/A", "/other/x.example/headers/B"], "", "example.com"], // two prefixes
    [[], "", "example.com"],
  ])("has no hint for %j with prefix %j and host %s", (names, prefix, host) => {
    expect(prefixHint(names, prefix, host, FILE)).toBeUndefined();
  });
});
