/**
 * Minted tokens through the daemon, with curl as the client: in Lambda mode (daemon -> Invoke endpoint -> built
 * bundle -> moto, the App key a SecureString) and in --local mode (the parameter file holds the key and the
 * client secret). The client never sees a token: it sends a plain request and gets the API's answer.
 * Then the load case: 1,000 requests over 50 keep-alive connections share exactly one mint.
 */

import { randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppKey, appKey } from "../support/app-keys";
import { type FakeTokenIssuer, type OAuth2Client, startFakeTokenIssuer } from "../support/fake-token-issuer";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { createKmsKey, seedParameters } from "../support/moto";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";
import { curl } from "./clients";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const moto = sharedMoto();
const prefix = uniquePrefix("daemon-minted");
const FUNCTION = "sign-proxy-minted-e2e";
const APP_ID = "Iv23liTestClientId";
const INSTALLATION = "77";

let key: AppKey;
let client: OAuth2Client;
let viaLambda: FakeTokenIssuer;
let viaLocal: FakeTokenIssuer;
let oauth: FakeTokenIssuer;
let loaded: FakeTokenIssuer;
let lambda: LambdaInvokeEndpoint;
let params: ParamsFile;
let lambdaDaemon: DaemonProcess;
let localDaemon: DaemonProcess;

const app = (hostKey: string) => ({
  [`${prefix}${hostKey}/github-app/app-id`]: APP_ID,
  [`${prefix}${hostKey}/github-app/private-key`]: key.privatePem,
  [`${prefix}${hostKey}/github-app/installation-id`]: INSTALLATION,
});

/** Every secret the run involved: the key, the client secret, each JWT and each minted token. */
function secrets(): string[] {
  const mints = [viaLambda, viaLocal, oauth, loaded].flatMap((i) => i?.mints ?? []);
  const pemBody = key.privatePem.split("\n").slice(1, 3).join(""); // two lines of the key's base64
  return [
    pemBody,
    client.secret,
    ...mints.map((m) => m.token),
    ...mints.flatMap((m) => (m.jwt ? [m.jwt] : [])),
  ];
}

beforeAll(async () => {
  key = appKey();
  client = {
    id: "e2e-client",
    secret: `e2e-secret-${randomBytes(8).toString("hex")}`,
    method: "client_secret_post",
  };
  const github = () => ({ appId: APP_ID, publicKey: key.publicKey, installationIds: [INSTALLATION] });
  [viaLambda, viaLocal, oauth, loaded] = await Promise.all([
    startFakeTokenIssuer(github()),
    startFakeTokenIssuer(github()),
    startFakeTokenIssuer(github(), [client]),
    startFakeTokenIssuer(github()),
  ]);
  const kms = await createKmsKey(moto.endpoint, "daemon minted e2e");
  await seedParameters(moto.endpoint, app(viaLambda.hostKey), { type: "SecureString", keyId: kms.keyId });
  params = paramsFile({
    ...app(viaLocal.hostKey),
    ...app(loaded.hostKey),
    [`${prefix}${oauth.hostKey}/oauth2/token-url`]: `${oauth.origin}/oauth/token`,
    [`${prefix}${oauth.hostKey}/oauth2/client-id`]: client.id,
    [`${prefix}${oauth.hostKey}/oauth2/client-secret`]: client.secret,
    [`${prefix}${oauth.hostKey}/oauth2/auth-method`]: "client_secret_post",
  });
  lambda = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    env: { ...moto.env, SSM_SIGN_PROXY_PREFIX: prefix },
  });
  [lambdaDaemon, localDaemon] = await Promise.all([
    startDaemonProcess({
      args: ["--function-name", FUNCTION, "--timeout", "10"],
      env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint },
    }),
    startDaemonProcess({
      args: ["--local", params.path, "--prefix", prefix, "--timeout", "10"],
      env: { NODE_EXTRA_CA_CERTS: viaLocal.ca.caFile },
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([lambdaDaemon?.stop(), localDaemon?.stop()]);
  await Promise.all([lambda?.stop(), viaLambda?.stop(), viaLocal?.stop(), oauth?.stop(), loaded?.stop()]);
  params?.remove();
});

describe("minted tokens through the daemon", () => {
  it("Lambda mode: curl gets the private repository's answer; the App token went from the function to the API", async () => {
    const answer = await curl(
      lambdaDaemon.proxyUrl,
      `http://localhost:${viaLambda.port}/repos/other-org/private/contents`,
    );
    expect(answer.status, answer.body).toBe(200);
    expect(viaLambda.mints).toHaveLength(1);
    expect(viaLambda.apiRequests[0]?.token).toBe(viaLambda.mints[0]?.token);
    expect(answer.body).not.toContain(viaLambda.mints[0]?.token ?? ""); // the API's echo of it is scrubbed
  });

  it("--local mode: the parameter file holds the App key, and curl's request is signed with a minted token", async () => {
    const answer = await curl(localDaemon.proxyUrl, `http://localhost:${viaLocal.port}/repos/o/r`);
    expect(answer.status, answer.body).toBe(200);
    expect(viaLocal.mints).toHaveLength(1);
    const oauthAnswer = await curl(localDaemon.proxyUrl, `http://localhost:${oauth.port}/v1/things`);
    expect(oauthAnswer.status, oauthAnswer.body).toBe(200);
    expect(oauth.mints.map((m) => m.kind)).toEqual(["oauth2"]);
  });

  it("1,000 requests over 50 concurrent keep-alive connections mint exactly once", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const one = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            agent,
            host: "127.0.0.1",
            port: localDaemon.port,
            path: `http://localhost:${loaded.port}/load/${i}`,
            headers: { host: `localhost:${loaded.port}` },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 1000 }, (_, i) => one(i)));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(loaded.mints).toHaveLength(1);
    expect(loaded.apiRequests).toHaveLength(1000);
    expect(new Set(loaded.apiRequests.map((r) => r.token))).toEqual(new Set([loaded.mints[0]?.token]));
    console.log(`1000 minted-token requests over 50 connections: ${seconds.toFixed(2)} s`);
  }, 60_000); // ~2 s alone; the whole suite on 2 busy cores has seen 20 s

  it("no key, client secret, JWT or minted token in the daemon's or the function's output", () => {
    const output = [lambdaDaemon.output(), localDaemon.output(), lambda.process.allOutput()].join("\n");
    expect(output).toContain("token minted");
    for (const needle of secrets())
      expect(output.includes(needle), `leaked ${needle.slice(0, 12)}…`).toBe(false);
  });
});
