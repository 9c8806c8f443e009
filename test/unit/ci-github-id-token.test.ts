/**
 * Asking the GitHub Actions runner for an ID token, against a local fake of its endpoint: the bearer
 * header, the audience added to the existing query, retries of transient failures, and errors that give
 * the HTTP status but never a token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CiCredentialsError } from "../../proxy-daemon/credentials/ci-credentials-error";
import { fetchGitHubIdToken, idTokenUrl } from "../../proxy-daemon/credentials/github-id-token";
import { type FakeActionsOidc, startFakeActionsOidc } from "../support/fake-actions-oidc";

let oidc: FakeActionsOidc;

beforeAll(async () => {
  oidc = await startFakeActionsOidc();
});
afterAll(async () => {
  await oidc?.stop();
});

function source(audience = "sts.amazonaws.com") {
  return { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken, audience };
}

async function failure(promise: Promise<unknown>): Promise<CiCredentialsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CiCredentialsError);
  return err as CiCredentialsError;
}

describe("idTokenUrl", () => {
  it("adds audience to the runner's existing query", () => {
    const url = idTokenUrl("https://pipelines.example/abc/idtoken?api-version=2.0", "sts.amazonaws.com");
    expect(url.search).toBe("?api-version=2.0&audience=sts.amazonaws.com");
  });

  it("starts a query when there is none and encodes the audience", () => {
    expect(idTokenUrl("https://x.example/t", "https://github.com/org").search).toBe(
      "?audience=https%3A%2F%2Fgithub.com%2Forg",
    );
  });
});

describe("fetchGitHubIdToken", () => {
  it("sends the request token as a bearer and the audience as a query parameter", async () => {
    const before = oidc.requests.length;
    const token = await fetchGitHubIdToken(source("my-audience"));
    const req = oidc.requests[before];
    expect(req?.authorization).toBe(`Bearer ${oidc.requestToken}`);
    expect(req?.query).toEqual([
      ["api-version", "2.0"],
      ["audience", "my-audience"],
    ]);
    expect(token).toBe(oidc.issued.at(-1));
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as {
      aud: string;
    };
    expect(claims.aud).toBe("my-audience");
  });

  it("names the HTTP status of a refusal, without the request token", async () => {
    const err = await failure(fetchGitHubIdToken({ ...source(), requestToken: "wrong-secret-token" }));
    expect(err.step).toBe("id-token");
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).not.toContain("wrong-secret-token");
  });

  it("retries 5xx answers and then succeeds", async () => {
    const before = oidc.requests.length;
    oidc.failNext(503, 2);
    const token = await fetchGitHubIdToken(source());
    expect(oidc.requests.length - before).toBe(3);
    expect(token).toBe(oidc.issued.at(-1));
  });

  it("gives up after the attempts with a transient error naming the status", async () => {
    oidc.failNext(502, 2);
    const err = await failure(fetchGitHubIdToken({ ...source(), attempts: 2 }));
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/HTTP 502/);
  });

  it("reports a network failure as transient", async () => {
    const err = await failure(
      fetchGitHubIdToken({ ...source(), requestUrl: "http://127.0.0.1:1/_apis/idtoken?x=1", attempts: 1 }),
    );
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/ID token request to 127\.0\.0\.1:1 failed/);
  });
});
