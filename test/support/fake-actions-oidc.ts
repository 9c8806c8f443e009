/**
 * A local fake of the GitHub Actions ID-token endpoint (what ACTIONS_ID_TOKEN_REQUEST_URL points at).
 * It checks the bearer token like the real one (401 otherwise), records every request, and answers
 * `{"value": "<jwt>"}` with an unsigned JWT whose `aud` is the requested audience. Tests can make the next
 * answers fail with a status.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";

export interface IdTokenRequest {
  /** Path and query as received. */
  url: string;
  authorization: string | undefined;
  /** The `audience` query parameter, or null when absent. */
  audience: string | null;
  /** Every query parameter, in order. */
  query: Array<[string, string]>;
}

export interface FakeActionsOidc {
  /** Like the runner's: it already has a query (`?api-version=2.0`). */
  requestUrl: string;
  /** The bearer token the fake accepts (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
  requestToken: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN for a child process. */
  env: Record<string, string>;
  requests: IdTokenRequest[];
  /** The ID tokens handed out, in order. */
  issued: string[];
  /** The next `times` requests get HTTP `status` instead of a token. */
  failNext(status: number, times?: number): void;
  stop(): Promise<void>;
}

const SUBJECT = "repo:example-org/example-repo:ref:refs/heads/main";

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** An unsigned JWT with GitHub's claim shape; moto's STS does not verify it. */
function idToken(audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: "https://token.actions.githubusercontent.com",
    sub: SUBJECT,
    aud: audience,
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: randomBytes(8).toString("hex"),
  };
  return `${base64url({ alg: "RS256", typ: "JWT" })}.${base64url(claims)}.${randomBytes(16).toString("base64url")}`;
}

export async function startFakeActionsOidc(): Promise<FakeActionsOidc> {
  const requestToken = `fake-request-token-${randomBytes(8).toString("hex")}`;
  const requests: IdTokenRequest[] = [];
  const issued: string[] = [];
  const failures: number[] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    requests.push({
      url: req.url ?? "",
      authorization: req.headers.authorization,
      audience: url.searchParams.get("audience"),
      query: [...url.searchParams.entries()],
    });
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const failure = failures.shift();
    if (failure !== undefined) return reply(failure, { message: "injected failure" });
    if (url.pathname !== "/_apis/idtoken") return reply(404, { message: "not found" });
    if (req.headers.authorization !== `Bearer ${requestToken}`) return reply(401, { message: "bad token" });
    const token = idToken(url.searchParams.get("audience") ?? "https://github.com/example-org");
    issued.push(token);
    reply(200, { value: token });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake OIDC server has no port");
  const requestUrl = `http://127.0.0.1:${address.port}/_apis/idtoken?api-version=2.0`;

  return {
    requestUrl,
    requestToken,
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken },
    requests,
    issued,
    failNext(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
