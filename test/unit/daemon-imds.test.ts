/** IMDSv2 instance id lookup against a local server that speaks the token protocol (PUT token, GET with it). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fetchInstanceId } from "../../proxy-daemon/invoke/lambda/imds";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface FakeImds {
  endpoint: string;
  calls: string[];
}

function startImds(options: { v1Only?: boolean; stallMs?: number } = {}): Promise<FakeImds> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    setTimeout(() => {
      if (req.method === "PUT" && req.url === "/latest/api/token" && !options.v1Only) {
        if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
        return void res.end("token-abc");
      }
      if (req.method === "GET" && req.url === "/latest/meta-data/instance-id") {
        if (!options.v1Only && req.headers["x-aws-ec2-metadata-token"] !== "token-abc")
          return void res.writeHead(401).end();
        return void res.end("i-0123456789abcdef0");
      }
      res.writeHead(404).end();
    }, options.stallMs ?? 0);
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls }),
    ),
  );
}

describe("fetchInstanceId (IMDSv2)", () => {
  it("gets a session token with PUT, then the instance id with that token", async () => {
    const imds = await startImds();
    expect(await fetchInstanceId({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint })).toBe(
      "i-0123456789abcdef0",
    );
    expect(imds.calls).toEqual(["PUT /latest/api/token", "GET /latest/meta-data/instance-id"]);
  });

  it("never falls back to IMDSv1", async () => {
    const imds = await startImds({ v1Only: true });
    expect(await fetchInstanceId({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint })).toBeUndefined();
    expect(imds.calls).toEqual(["PUT /latest/api/token"]);
  });

  it("gives up after its 1 s budget (off EC2 nothing answers)", async () => {
    const imds = await startImds({ stallMs: 3000 });
    const started = Date.now();
    expect(await fetchInstanceId({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("asks nothing when AWS_EC2_METADATA_DISABLED=true", async () => {
    const imds = await startImds();
    expect(
      await fetchInstanceId({
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
        AWS_EC2_METADATA_DISABLED: "true",
      }),
    ).toBeUndefined();
    expect(imds.calls).toEqual([]);
  });
});
