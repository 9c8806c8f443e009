import { describe, expect, it } from "vitest";
import {
  FORBIDDEN_ADDRESS_CODE,
  guardedLookup,
  isForbiddenAddress,
} from "../../lambda/upstream/address-guard";

describe("address guard", () => {
  it.each([
    ["169.254.169.254", true],
    ["169.254.0.1", true],
    ["0.0.0.0", true],
    ["fe80::1", true],
    ["FE80::abcd:1", true],
    ["febf::1", true],
    ["fd00:ec2::254", true],
    ["::ffff:169.254.169.254", true],
    ["::ffff:a9fe:a9fe", true],
    ["127.0.0.1", false],
    ["10.1.2.3", false],
    ["192.168.0.1", false],
    ["172.16.0.1", false],
    ["::1", false],
    ["fd00:ec2::253", true],
    ["fd00:ec2::23", true],
    ["fd00:ec3::254", false],
    ["64:ff9b::a9fe:a9fe", true],
    ["64:ff9b::169.254.169.254", true],
    ["64:ff9b::808:808", false],
    ["64:ff9b:1::a9fe:a9fe", false],
    ["2606:4700::1111", false],
    ["api.github.com", false],
  ])("%s forbidden: %s", (ip, forbidden) => {
    expect(isForbiddenAddress(ip)).toBe(forbidden);
  });

  it("resolves allowed names the way net expects, single and all", async () => {
    const single = await new Promise<string>((resolve, reject) =>
      guardedLookup("localhost", { family: 4 }, (err, address) =>
        err ? reject(err) : resolve(address as string),
      ),
    );
    expect(single).toBe("127.0.0.1");
    const all = await new Promise<unknown>((resolve, reject) =>
      guardedLookup("localhost", { all: true, family: 4 }, (err, addresses) =>
        err ? reject(err) : resolve(addresses),
      ),
    );
    expect(all).toEqual([{ address: "127.0.0.1", family: 4 }]);
  });

  it("fails the lookup when every address is link-local (DNS rebinding to metadata)", async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      // 169.254.169.254 as a name resolves to itself without DNS: the same path a rebinding answer takes.
      guardedLookup("169.254.169.254", {}, (err) => resolve(err)),
    );
    expect(error?.code).toBe(FORBIDDEN_ADDRESS_CODE);
  });
});
