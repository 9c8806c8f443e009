/**
 * The Go original's parameter naming (`/<host>/…`, no prefix) served by the built bundle with a deployed host
 * list (SSM_SIGN_PROXY_HOSTS, set by the stack's hosts=): listed hosts are signed from their folders, any other
 * host is answered 407 host-not-deployed before Parameter Store is asked.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlbMultiValueResult, ProxyRequest } from "../../lambda/core/proxy-request";
import { encodeEvent } from "../../lambda/wire/event-codec";
import { getFreePort } from "../support/free-port";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { seedParameters } from "../support/moto";
import { sharedMoto } from "../support/shared-moto";
import { goDaemonEvent } from "./fixtures/go-daemon-event";

const API_KEY = "canary-hostlist-0c9f";
const OTHER_KEY = "canary-unlisted-77aa";

let listed: HttpsUpstream;
let unlisted: HttpsUpstream;
let withSsm: LambdaInvokeEndpoint;
let withoutSsm: LambdaInvokeEndpoint;
let clients: LambdaClient[] = [];

function authority(server: HttpsUpstream): string {
  return new URL(server.origin).host;
}

function request(host: string): ProxyRequest {
  return { method: "GET", path: "/echo/hosts", query: [], headers: [["Host", host]], body: Buffer.alloc(0) };
}

async function invoke(endpoint: LambdaInvokeEndpoint, name: string, payload: unknown) {
  const client = new LambdaClient({
    ...sharedMoto().clientConfig,
    endpoint: endpoint.endpoint,
    maxAttempts: 1,
  });
  clients.push(client);
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(text) }));
  const result = JSON.parse(
    Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8"),
  ) as AlbMultiValueResult;
  const header = (h: string) =>
    Object.entries(result.multiValueHeaders ?? {})
      .filter(([n]) => n.toLowerCase() === h)
      .flatMap(([, v]) => v);
  return { result, header };
}

beforeAll(async () => {
  const moto = sharedMoto();
  [listed, unlisted] = await Promise.all([startHttpsUpstream(), startHttpsUpstream()]);
  // Named as the original's README shows, with no prefix: /<host>/headers/<Name>.
  await seedParameters(moto.endpoint, {
    [`/${listed.hostKey}/headers/X-Api-Key`]: API_KEY,
    [`/${unlisted.hostKey}/headers/X-Api-Key`]: OTHER_KEY,
  });
  const deadSsm = `http://127.0.0.1:${await getFreePort()}`;
  const hosts = `${authority(listed)},api.github.com`;
  [withSsm, withoutSsm] = await Promise.all([
    startLambdaInvokeEndpoint({
      functionName: "hostlist",
      env: { ...moto.env, SSM_SIGN_PROXY_HOSTS: hosts, SSM_SIGN_PROXY_TIMEOUT: "5" },
    }),
    // Parameter Store unreachable: an answer that needed it would be a 502.
    startLambdaInvokeEndpoint({
      functionName: "hostlist-nossm",
      env: {
        ...moto.env,
        AWS_ENDPOINT_URL_SSM: deadSsm,
        AWS_MAX_ATTEMPTS: "1",
        SSM_SIGN_PROXY_HOSTS: hosts,
        SSM_SIGN_PROXY_TIMEOUT: "5",
      },
    }),
  ]);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  clients = [];
  await Promise.all([withSsm?.stop(), withoutSsm?.stop(), listed?.stop(), unlisted?.stop()]);
});

describe("a deployed host list with an empty prefix", () => {
  it("signs a listed host from /<host>/… (the original's naming), for our daemon and the Go daemon", async () => {
    const ours = await invoke(
      withSsm,
      "hostlist",
      encodeEvent(request(authority(listed)), { mode: "lambda" }),
    );
    expect(ours.result.statusCode).toBe(200);
    const go = await invoke(
      withSsm,
      "hostlist",
      goDaemonEvent({ url: `http://${authority(listed)}/echo/go` }),
    );
    expect(go.result.statusCode).toBe(200);
    const sent = listed.requests.at(-1)?.headers ?? [];
    expect(sent.filter(([n]) => n.toLowerCase() === "x-api-key").map(([, v]) => v)).toEqual([API_KEY]);
  });

  it("answers 407 host-not-deployed for a host outside the list, even though it has parameters", async () => {
    const before = unlisted.requests.length;
    const { result, header } = await invoke(
      withSsm,
      "hostlist",
      encodeEvent(request(authority(unlisted)), { mode: "lambda" }),
    );
    expect(result.statusCode).toBe(407);
    expect(header("x-ssm-sign-proxy-error")).toEqual(["host-not-deployed"]);
    expect(header("content-type")).toEqual(["text/plain; charset=utf-8"]);
    expect(result.body).toBe(
      `host ${authority(unlisted)} is not in the deployed host list (SSM_SIGN_PROXY_HOSTS): add ${unlisted.hostKey} to the stack's hosts= and deploy again\n`,
    );
    expect(result.body).not.toContain(OTHER_KEY);
    expect(unlisted.requests.length).toBe(before);
  });

  it("refuses the unlisted host without asking Parameter Store, which a listed host needs", async () => {
    const refused = await invoke(
      withoutSsm,
      "hostlist-nossm",
      encodeEvent(request(authority(unlisted)), { mode: "lambda" }),
    );
    expect(refused.result.statusCode).toBe(407);
    expect(refused.header("x-ssm-sign-proxy-error")).toEqual(["host-not-deployed"]);
    const needsSsm = await invoke(
      withoutSsm,
      "hostlist-nossm",
      encodeEvent(request(authority(listed)), { mode: "lambda" }),
    );
    expect(needsSsm.result.statusCode).toBe(502);
  });
});
