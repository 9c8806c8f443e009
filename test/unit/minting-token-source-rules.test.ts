/** Which token source a host's parameters give it, and what is reported when they are incomplete or conflict. */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Parameter } from "../../lambda/parameters/parameter-source";
import { parseRules } from "../../lambda/signing/signing-rules";

const HOST = "/p/api.github.com";
const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();

const params = (values: Record<string, string>, host = HOST): Parameter[] =>
  Object.entries(values).map(([name, value]) => ({ name: `${host}/${name}`, value }));

const app = { "github-app/app-id": "123", "github-app/private-key": PEM, "github-app/installation-id": "42" };
const client = {
  "oauth2/token-url": "https://auth.example.com/oauth/token",
  "oauth2/client-id": "id",
  "oauth2/client-secret": "s3cret",
};

describe("token source rules", () => {
  it("github-app: api.github.com defaults to https://api.github.com, another host to its /api/v3", () => {
    const { rules, ignored } = parseRules(HOST, params(app), "api.github.com");
    expect(ignored).toEqual([]);
    expect(rules.kinds).toEqual(["github-app"]);
    expect(rules.tokenSource?.kind === "github-app" && rules.tokenSource.apiUrl.href).toBe(
      "https://api.github.com/",
    );
    const ghes = parseRules("/p/github.corp_8443", params(app, "/p/github.corp_8443"));
    expect(ghes.rules.tokenSource?.kind === "github-app" && ghes.rules.tokenSource.apiUrl.href).toBe(
      "https://github.corp:8443/api/v3",
    );
  });

  it("github-app: repositories and permissions narrow the token; bad values are ignored with the reason", () => {
    const good = parseRules(
      HOST,
      params({ ...app, "github-app/repositories": "a, b", "github-app/permissions": '{"contents":"read"}' }),
    );
    expect(good.rules.tokenSource).toMatchObject({
      repositories: ["a", "b"],
      permissions: { contents: "read" },
    });
    const bad = parseRules(HOST, params({ ...app, "github-app/permissions": "contents=read" }));
    expect(bad.rules.tokenSource).toBeUndefined();
    expect(bad.ignored).toEqual([
      {
        name: `${HOST}/github-app/permissions`,
        reason: 'expected a JSON object such as {"contents":"read"}',
      },
    ]);
  });

  it("github-app: a malformed key keeps the source (so the request is refused, never sent) and names the parameter", () => {
    const { rules } = parseRules(HOST, params({ ...app, "github-app/private-key": "not a pem SECRET-BITS" }));
    const source = rules.tokenSource;
    expect(source?.kind).toBe("github-app");
    if (source?.kind !== "github-app") return;
    expect(source.privateKey).toBeUndefined();
    expect(source.keyProblem).toBe(
      `${HOST}/github-app/private-key is not an RSA private key in PEM form: store the .pem file the App's settings page downloads`,
    );
  });

  it("an incomplete source names what is missing on each of its parameters", () => {
    const { rules, ignored } = parseRules(HOST, params({ "github-app/app-id": "123" }));
    expect(rules.kinds).toEqual([]);
    expect(ignored).toEqual([
      {
        name: `${HOST}/github-app/app-id`,
        reason: `github-app is incomplete: ${HOST}/github-app/private-key, ${HOST}/github-app/installation-id missing`,
      },
    ]);
  });

  it("oauth2: the token URL must be https; auth-method is basic unless client_secret_post", () => {
    const ok = parseRules(HOST, params({ ...client, "oauth2/scope": "read", "oauth2/audience": "api" }));
    expect(ok.rules.tokenSource).toMatchObject({
      kind: "oauth2",
      authMethod: "client_secret_basic",
      scope: "read",
      audience: "api",
    });
    const clear = parseRules(
      HOST,
      params({ ...client, "oauth2/token-url": "http://auth.example.com/token" }),
    );
    expect(clear.rules.tokenSource).toBeUndefined();
    expect(clear.ignored[0]?.reason).toMatch(/must be an https:\/\/ URL/);
    const method = parseRules(HOST, params({ ...client, "oauth2/auth-method": "private_key_jwt" }));
    expect(method.ignored[0]?.reason).toBe("expected client_secret_basic or client_secret_post");
  });

  it("one token source: github-app > oauth2 > basic; headers stay; each loser is reported", () => {
    const { rules, ignored } = parseRules(
      HOST,
      params({ ...app, ...client, "basic/username": "u", "basic/password": "p", "headers/X-Team": "t" }),
    );
    expect(rules.kinds).toEqual(["headers", "github-app"]);
    expect(rules.basic).toBeUndefined();
    expect(ignored.map((i) => i.name.slice(HOST.length + 1)).sort()).toEqual([
      "basic/password",
      "basic/username",
      "oauth2/client-id",
      "oauth2/client-secret",
      "oauth2/token-url",
    ]);
    const second = parseRules(HOST, params({ ...client, "basic/username": "u" }));
    expect(second.rules.kinds).toEqual(["oauth2"]);
    expect(second.ignored).toEqual([
      {
        name: `${HOST}/basic/username`,
        reason: "conflicts with oauth2/…: a host uses one token source and oauth2 wins",
      },
    ]);
  });

  it("a changed secret changes the source's fingerprint (so its cached token is not reused)", () => {
    const a = parseRules(HOST, params(client)).rules.tokenSource;
    const b = parseRules(HOST, params({ ...client, "oauth2/client-secret": "rotated" })).rules.tokenSource;
    expect(a?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a?.fingerprint).not.toBe(b?.fingerprint);
    expect(JSON.stringify(a)).not.toContain('fingerprint":"s3cret');
  });
});
