/**
 * What the daemon says when STS refuses AssumeRoleWithWebIdentity. Moto accepts every token, so a local
 * server answers with STS's real error documents instead; the SDK parses them as it would AWS's.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CiCredentialsError } from "../../proxy-daemon/credentials/ci-credentials-error";
import {
  assumeRoleWithWebIdentity,
  createUnsignedStsClient,
} from "../../proxy-daemon/credentials/web-identity-role";

const ROLE = "arn:aws:iam::123456789012:role/ci-deploy";
const ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl";

interface Answer {
  status: number;
  code: string;
  message: string;
}
let answer: Answer;
const bodies: string[] = [];
const authorizations: Array<string | undefined> = [];
let server: Server;
let endpoint: string;
const savedEnv = process.env.AWS_ENDPOINT_URL_STS;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      bodies.push(body);
      authorizations.push(req.headers.authorization);
      res.writeHead(answer.status, { "content-type": "text/xml" });
      res.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${answer.code}</Code><Message>${answer.message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  endpoint = `http://127.0.0.1:${address.port}`;
  process.env.AWS_ENDPOINT_URL_STS = endpoint;
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
  else process.env.AWS_ENDPOINT_URL_STS = savedEnv;
  await new Promise<void>((r) => server.close(() => r()));
});

async function refusal(a: Answer): Promise<CiCredentialsError> {
  answer = a;
  const sts = createUnsignedStsClient("us-east-1");
  try {
    const err = await assumeRoleWithWebIdentity(sts, {
      roleArn: ROLE,
      roleSessionName: "ssm-sign-proxy-1",
      token: async () => ID_TOKEN,
      audience: "sts.amazonaws.com",
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CiCredentialsError);
    const e = err as CiCredentialsError;
    expect(e.step).toBe("sts");
    expect(e.message).toContain(ROLE);
    expect(e.message).not.toContain(ID_TOKEN);
    return e;
  } finally {
    sts.destroy();
  }
}

describe("STS refusals", () => {
  it("sends the token unsigned: no Authorization header is needed or resolved", async () => {
    await refusal({ status: 403, code: "AccessDenied", message: "x" });
    expect(bodies.at(-1)).toContain("Action=AssumeRoleWithWebIdentity");
    expect(authorizations.at(-1)).toBeUndefined();
    expect(bodies.at(-1)).toContain(`WebIdentityToken=${encodeURIComponent(ID_TOKEN)}`);
  });

  it("trust mismatch (AccessDenied): permanent, names the role and what to check in the trust policy", async () => {
    const e = await refusal({
      status: 403,
      code: "AccessDenied",
      message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    });
    expect(e.transient).toBe(false);
    expect(e.message).toContain("AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity");
    expect(e.message).toMatch(/trust policy/);
    expect(e.message).toMatch(/"sub" condition/);
  });

  it("audience mismatch (InvalidIdentityToken): points at the OIDC provider's client IDs and --audience", async () => {
    const e = await refusal({
      status: 400,
      code: "InvalidIdentityToken",
      message: "Incorrect token audience",
    });
    expect(e.transient).toBe(false);
    expect(e.message).toContain("InvalidIdentityToken: Incorrect token audience");
    expect(e.message).toMatch(/--audience must match/);
  });

  it("expired token: transient (a fresh token may work) and says so", async () => {
    const e = await refusal({ status: 400, code: "ExpiredTokenException", message: "Token is expired" });
    expect(e.transient).toBe(true);
    expect(e.message).toMatch(/ExpiredToken: Token is expired/);
    expect(e.message).toMatch(/had expired/);
  });

  it("STS server errors are transient", async () => {
    const e = await refusal({ status: 503, code: "ServiceUnavailable", message: "try later" });
    expect(e.transient).toBe(true);
  });
});
