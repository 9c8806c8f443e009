/**
 * Tokens the function mints (GitHub App installation tokens, OAuth2 client credentials), specified end to end on the
 * function's side: the built bundle behind the local Invoke endpoint, parameters in moto (the App's private key and
 * the client secret as SecureStrings under a customer-managed KMS key), and a fake issuer that verifies what it is
 * sent (JWT signature and claims, grant type, client authentication) and then plays the API.
 * Every scenario gets its own issuer (its own host), so token caches never cross scenarios.
 */
import { randomBytes } from "node:crypto";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlbResult } from "../../lambda/core/proxy-request";
import { decodeResult, encodeEvent, isCodecError } from "../../lambda/wire/event-codec";
import { type AppKey, appKey } from "../support/app-keys";
import { type FakeTokenIssuer, type OAuth2Client, startFakeTokenIssuer } from "../support/fake-token-issuer";
import { getFreePort } from "../support/free-port";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { createKmsKey, type KmsKey, seedParameters } from "../support/moto";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";

const FUNCTION = "ssm-sign-proxy-minted-tokens";
const APP_ID = "123456";
const INSTALLATION = "4242";

let prefix: string;
let kms: KmsKey;
let key: AppKey;
let endpoint: LambdaInvokeEndpoint;
let lambda: LambdaClient;
const issuers: FakeTokenIssuer[] = [];

const secret = () => `secret-${randomBytes(12).toString("hex")}`;

async function issuer(clients: OAuth2Client[] = [], publicKey = key.publicKey): Promise<FakeTokenIssuer> {
  const started = await startFakeTokenIssuer(
    { appId: APP_ID, publicKey, installationIds: [INSTALLATION] },
    clients,
  );
  issuers.push(started);
  return started;
}

async function seed(hostKey: string, params: Record<string, string>): Promise<void> {
  const full = Object.fromEntries(Object.entries(params).map(([k, v]) => [`${prefix}${hostKey}/${k}`, v]));
  await seedParameters(sharedMoto().endpoint, full, { type: "SecureString", keyId: kms.keyId });
}

function gitHubApp(privatePem = key.privatePem, installation = INSTALLATION): Record<string, string> {
  return {
    "github-app/app-id": APP_ID,
    "github-app/private-key": privatePem,
    "github-app/installation-id": installation,
  };
}

function oauth2(at: FakeTokenIssuer, client: OAuth2Client, tokenUrl = `${at.origin}/oauth/token`) {
  return {
    "oauth2/token-url": tokenUrl,
    "oauth2/client-id": client.id,
    "oauth2/client-secret": client.secret,
    "oauth2/auth-method": client.method,
    "oauth2/scope": "read:things write:things",
  };
}

async function send(at: FakeTokenIssuer, path: string, method = "GET") {
  const event = encodeEvent({
    method,
    path,
    query: [],
    headers: [["host", `localhost:${at.port}`]],
    body: method === "POST" ? Buffer.from('{"a":1}') : Buffer.alloc(0),
  });
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: FUNCTION, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8");
  if (out.FunctionError) throw new Error(`function error: ${text}`);
  const response = decodeResult(JSON.parse(text) as AlbResult);
  if (isCodecError(response)) throw new Error(response.message);
  const header = (name: string) => response.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  return { status: response.statusCode, header, body: response.body.toString("utf8") };
}

function logLines(msg: string): Array<Record<string, unknown>> {
  return endpoint.process.stdout
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const moto = sharedMoto();
  prefix = uniquePrefix("minted");
  key = appKey();
  kms = await createKmsKey(moto.endpoint, "minted tokens test key");
  endpoint = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    env: {
      ...moto.env,
      SSM_SIGN_PROXY_PREFIX: prefix,
      SSM_SIGN_PROXY_CACHE_TTL: "1",
      SSM_SIGN_PROXY_TIMEOUT: "2",
    },
  });
  lambda = new LambdaClient({ ...moto.clientConfig, endpoint: endpoint.endpoint, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await Promise.all([endpoint?.stop(), ...issuers.map((i) => i.stop())]);
});

describe("GitHub App installation tokens", () => {
  it("mints with an RS256 JWT (iat 60 s back, exp within 10 min, iss = app id) and sends the token as Bearer", async () => {
    const at = await issuer();
    at.gitHubTokenLength = 520; // the JWT-format ghs_ tokens: no length is assumed
    await seed(at.hostKey, {
      ...gitHubApp(),
      "github-app/repositories": "widgets, gadgets",
      "github-app/permissions": '{"contents":"read","issues":"write"}',
    });
    const before = Math.floor(Date.now() / 1000);
    const answer = await send(at, "/repos/other-org/widgets");
    expect(answer.status, answer.body).toBe(200);
    expect(at.mints).toHaveLength(1);
    const mint = at.mints[0];
    // The API saw the minted token; its echo of it reaches the client scrubbed, like any injected secret.
    expect(at.apiRequests[0]?.token).toBe(mint?.token);
    expect(mint?.token).toHaveLength(520);
    expect(JSON.parse(answer.body).token).toBe("[redacted by ssm-sign-proxy]");
    expect(mint?.claims?.iss).toBe(APP_ID);
    expect(mint?.claims?.iat).toBeGreaterThanOrEqual(before - 61);
    expect(mint?.claims?.iat).toBeLessThanOrEqual(before - 59 + 2);
    expect((mint?.claims?.exp ?? 0) - (mint?.claims?.iat ?? 0)).toBeLessThanOrEqual(600);
    expect(JSON.parse(mint?.body ?? "{}")).toEqual({
      repositories: ["widgets", "gadgets"],
      permissions: { contents: "read", issues: "write" },
    });
    // The default api-url of a non-github.com host is GitHub Enterprise Server's /api/v3.
    const minted = logLines("token minted").find((l) => l.host === at.hostKey);
    expect(minted).toMatchObject({ kind: "github-app", host: at.hostKey });
    expect(typeof minted?.mintMs).toBe("number");
    expect(Date.parse(String(minted?.expiresAt))).toBeGreaterThan(Date.now() + 50 * 60_000);
    const request = logLines("request").find((l) => l.host === `localhost:${at.port}`);
    expect(request?.applied).toEqual(["github-app"]);
  });

  it("re-mints a token with less than 5 minutes left before using it", async () => {
    const at = await issuer();
    // expires_at has whole seconds: 302 s leaves between 1 and 2 s before the 5-minute margin begins.
    at.lifetimeSeconds = 302;
    await seed(at.hostKey, gitHubApp());
    expect((await send(at, "/a")).status).toBe(200);
    expect((await send(at, "/b")).status).toBe(200);
    expect(at.mints).toHaveLength(1);
    await sleep(2200);
    expect((await send(at, "/c")).status).toBe(200);
    expect(at.mints).toHaveLength(2);
    expect(at.apiRequests.at(-1)?.token).toBe(at.mints[1]?.token);
    // Token endpoint and API share the upstream client's keep-alive pool: five requests, one connection.
    expect(at.connections).toBe(1);
  });

  it("on 401 to a cached token: drops it, mints once more and retries a GET once; a POST gets the 401", async () => {
    const at = await issuer();
    await seed(at.hostKey, gitHubApp());
    expect((await send(at, "/first")).status).toBe(200);
    at.revoke(at.mints[0]?.token ?? "");
    const retried = await send(at, "/after-revoke");
    expect(retried.status).toBe(200);
    expect(at.mints).toHaveLength(2);
    expect(at.apiRequests.slice(-2).map((r) => r.status)).toEqual([401, 200]);

    at.revoke(at.mints[1]?.token ?? "");
    const posted = await send(at, "/issues", "POST");
    expect(posted.status).toBe(401);
    expect(posted.header("x-ssm-sign-proxy-error")).toBeUndefined(); // the API's own answer
    expect(at.apiRequests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(at.mints).toHaveLength(2);
    // The refused token was dropped: the next request mints.
    expect((await send(at, "/next")).status).toBe(200);
    expect(at.mints).toHaveLength(3);
  });

  it("uses a rotated private key once the parameter cache TTL has passed", async () => {
    const at = await issuer();
    await seed(at.hostKey, gitHubApp());
    expect((await send(at, "/before")).status).toBe(200);
    const rotated = appKey();
    at.github.publicKey = rotated.publicKey; // GitHub now only knows the new key
    await seed(at.hostKey, { "github-app/private-key": rotated.privatePem });
    await sleep(1300); // SSM_SIGN_PROXY_CACHE_TTL=1
    const after = await send(at, "/after");
    expect(after.status, after.body).toBe(200);
    expect(at.mints).toHaveLength(2);
    expect(at.rejections).toEqual([]);
  });

  it("502 token-mint-rejected when GitHub refuses the JWT (wrong key) or the installation; nothing is sent", async () => {
    const at = await issuer([], appKey().publicKey);
    await seed(at.hostKey, gitHubApp());
    const refused = await send(at, "/x");
    expect(refused.status).toBe(502);
    expect(refused.header("x-ssm-sign-proxy-error")).toBe("token-mint-rejected");
    expect(refused.body).toBe(
      `GitHub App token request for installation ${INSTALLATION} answered 401: check github-app/app-id and github-app/private-key (the App's current key)\n`,
    );
    const other = await issuer();
    await seed(other.hostKey, gitHubApp(key.privatePem, "999"));
    const missing = await send(other, "/x");
    expect(missing.status).toBe(502);
    expect(missing.body).toMatch(/installation 999 answered 404: check github-app\/installation-id/);
    expect([...at.apiRequests, ...other.apiRequests]).toEqual([]);
  });

  it("502 token-key-invalid naming the parameter (never its contents) for a malformed private key", async () => {
    const at = await issuer();
    const garbage = `-----BEGIN RSA PRIVATE KEY-----\nNOTAKEY${randomBytes(16).toString("hex")}\n-----END RSA PRIVATE KEY-----\n`;
    await seed(at.hostKey, gitHubApp(garbage));
    const answer = await send(at, "/x");
    expect(answer.status).toBe(502);
    expect(answer.header("x-ssm-sign-proxy-error")).toBe("token-key-invalid");
    expect(answer.body).toContain(`${prefix}${at.hostKey}/github-app/private-key is not an RSA private key`);
    expect(answer.body).not.toContain("NOTAKEY");
    expect(endpoint.process.allOutput()).not.toContain("NOTAKEY");
    expect(at.apiRequests).toEqual([]);
  });
});

describe("OAuth2 client credentials", () => {
  it.each([
    "client_secret_basic",
    "client_secret_post",
  ] as const)("mints with grant_type=client_credentials (%s) and sends access_token as Bearer", async (method) => {
    const client = { id: `client-${method}`, secret: secret(), method };
    const at = await issuer([client]);
    await seed(at.hostKey, oauth2(at, client));
    const answer = await send(at, "/v1/things");
    expect(answer.status, answer.body).toBe(200);
    expect(at.mints).toHaveLength(1);
    expect(at.apiRequests[0]?.token).toBe(at.mints[0]?.token);
    expect(answer.body).not.toContain(at.mints[0]?.token ?? "");
    expect(new URLSearchParams(at.mints[0]?.body).get("scope")).toBe("read:things write:things");
  });

  it("without expires_in, a token is reused; concurrent first requests share one mint", async () => {
    const client: OAuth2Client = { id: "client-burst", secret: secret(), method: "client_secret_basic" };
    const at = await issuer([client]);
    at.lifetimeSeconds = undefined;
    await seed(at.hostKey, oauth2(at, client));
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => send(at, `/burst/${i}`)));
    expect(statuses.every((s) => s.status === 200)).toBe(true);
    expect(at.mints).toHaveLength(1);
  });

  it("502 naming the step and what to check when the client is refused (401 basic, 400 post) or the token is not Bearer", async () => {
    const basic: OAuth2Client = { id: "client-b", secret: secret(), method: "client_secret_basic" };
    const at = await issuer([basic]);
    await seed(at.hostKey, oauth2(at, { ...basic, secret: "wrong" }));
    const refused = await send(at, "/x");
    expect(refused.status).toBe(502);
    expect(refused.body).toBe(
      `OAuth2 token request to localhost:${at.port} answered 401 invalid_client: check oauth2/client-id and oauth2/client-secret\n`,
    );
    const post: OAuth2Client = { id: "client-p", secret: secret(), method: "client_secret_post" };
    const other = await issuer([post]);
    await seed(other.hostKey, oauth2(other, { ...post, secret: "wrong" }));
    expect((await send(other, "/x")).body).toMatch(/answered 400 invalid_client: check oauth2\/client-id/);
    const odd: OAuth2Client = { id: "client-dpop", secret: secret(), method: "client_secret_basic" };
    const third = await issuer([odd]);
    third.faults.set(odd.id, { status: 200, body: { access_token: "at-dpop", token_type: "DPoP" } });
    await seed(third.hostKey, oauth2(third, odd));
    const dpop = await send(third, "/x");
    expect(dpop.status).toBe(502);
    expect(dpop.header("x-ssm-sign-proxy-error")).toBe("token-mint-invalid");
    expect(dpop.body).toMatch(/token_type other than Bearer/);
    expect([...at.apiRequests, ...other.apiRequests, ...third.apiRequests]).toEqual([]);
  });

  it("503 + Retry-After when the token endpoint answers 5xx or is unreachable; the next request tries again", async () => {
    const client: OAuth2Client = { id: "client-flaky", secret: secret(), method: "client_secret_basic" };
    const at = await issuer([client]);
    await seed(at.hostKey, oauth2(at, client));
    at.faults.set(client.id, { status: 500 });
    const down = await send(at, "/x");
    expect(down.status).toBe(503);
    expect(down.header("x-ssm-sign-proxy-error")).toBe("token-mint-unavailable");
    expect(down.header("retry-after")).toBe("5");
    at.faults.set(client.id, { status: 429, retryAfter: "7" });
    expect((await send(at, "/x")).header("retry-after")).toBe("7");
    at.faults.delete(client.id);
    expect((await send(at, "/x")).status).toBe(200);
    expect(at.apiRequests.map((r) => r.status)).toEqual([200]);

    const refusedPort = await getFreePort();
    const nowhere = await issuer([client]);
    await seed(nowhere.hostKey, oauth2(nowhere, client, `https://localhost:${refusedPort}/oauth/token`));
    const unreachable = await send(nowhere, "/x");
    expect(unreachable.status).toBe(503);
    expect(unreachable.header("retry-after")).toBe("5");
    expect(unreachable.body).toMatch(/OAuth2 token request to localhost:\d+ failed: .*ECONNREFUSED/);
  });

  it("504 token-mint-timeout when the token endpoint does not answer in time", async () => {
    const client: OAuth2Client = { id: "client-stall", secret: secret(), method: "client_secret_post" };
    const at = await issuer([client]);
    await seed(at.hostKey, oauth2(at, client));
    at.faults.set(client.id, { stall: true });
    const slow = await send(at, "/x");
    expect(slow.status).toBe(504);
    expect(slow.header("x-ssm-sign-proxy-error")).toBe("token-mint-timeout");
    expect(at.apiRequests).toEqual([]);
  });
});

describe("one token source per host", () => {
  it("github-app wins over oauth2 and basic; the losers are logged as parameter ignored", async () => {
    const client: OAuth2Client = { id: "client-loser", secret: secret(), method: "client_secret_basic" };
    const at = await issuer([client]);
    await seed(at.hostKey, {
      ...gitHubApp(),
      ...oauth2(at, client),
      "basic/username": "someone",
      "basic/password": secret(),
      "headers/X-Team": "platform",
    });
    const answer = await send(at, "/x");
    expect(answer.status).toBe(200);
    expect(at.mints.map((m) => m.kind)).toEqual(["github-app"]);
    const ignored = logLines("parameter ignored").filter((l) => String(l.parameter).includes(at.hostKey));
    expect(ignored.map((l) => String(l.parameter).split("/").slice(-2).join("/")).sort()).toEqual([
      "basic/password",
      "basic/username",
      "oauth2/auth-method",
      "oauth2/client-id",
      "oauth2/client-secret",
      "oauth2/scope",
      "oauth2/token-url",
    ]);
    expect(ignored[0]?.reason).toMatch(/conflicts with github-app/);
    const request = logLines("request").find((l) => l.host === `localhost:${at.port}`);
    expect(request?.applied).toEqual(["headers", "github-app"]);
  });
});

describe("an incomplete token source", () => {
  it("407 naming the ignored parameters and what is missing, and never a request without its token", async () => {
    const at = await issuer();
    await seed(at.hostKey, { "github-app/app-id": APP_ID, "github-app/installation-id": INSTALLATION });
    const answer = await send(at, "/x");
    expect(answer.status).toBe(407);
    expect(answer.body).toContain(
      `ignored ${prefix}${at.hostKey}/github-app/app-id (github-app is incomplete: ${prefix}${at.hostKey}/github-app/private-key missing)`,
    );
    const ignored = logLines("parameter ignored").filter((l) => String(l.parameter).includes(at.hostKey));
    expect(ignored[0]?.reason).toBe(
      `github-app is incomplete: ${prefix}${at.hostKey}/github-app/private-key missing`,
    );
    expect(at.apiRequests).toEqual([]);
  });
});
