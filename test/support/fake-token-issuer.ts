/**
 * One local HTTPS server that plays three parts, so tests see the whole exchange:
 * - GitHub's `POST …/app/installations/{id}/access_tokens` (any path prefix, e.g. `/api/v3` as on GitHub
 *   Enterprise Server): checks the App JWT (app-jwt-check.ts) and issues `ghs_…` tokens with the chosen lifetime;
 * - an OAuth2 token endpoint `POST /oauth/token` (RFC 6749 §4.4): checks `grant_type=client_credentials` and the
 *   client's id and secret sent the expected way (HTTP Basic, §2.3.1 form-encoding, or in the body);
 * - the API: every other path answers 200 JSON `{ method, path, token }` (which issued token it saw) to a valid,
 *   unrevoked Bearer token, else 401.
 * Faults are set per installation id or client id: a status (with a JSON body), or a stall.
 */

import type { KeyObject } from "node:crypto";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { checkAppJwt } from "./app-jwt-check";
import { type TestCa, testCa } from "./test-ca";

export interface GitHubAppConfig {
  appId: string;
  publicKey: KeyObject;
  installationIds: string[];
}

export interface OAuth2Client {
  id: string;
  secret: string;
  method: "client_secret_basic" | "client_secret_post";
}

export type IssuerFault =
  | { status: number; body?: Record<string, unknown>; retryAfter?: string }
  | { stall: true };

export interface Mint {
  kind: "github-app" | "oauth2";
  /** Installation id or client id. */
  subject: string;
  token: string;
  /** The request body (GitHub: JSON narrowing; OAuth2: the form). */
  body: string;
  /** GitHub: the verified JWT claims. */
  claims?: { iat: number; exp: number; iss: string };
  jwt?: string;
}

export interface FakeTokenIssuer {
  origin: string;
  port: number;
  hostKey: string;
  ca: TestCa;
  github: GitHubAppConfig;
  oauth2Clients: OAuth2Client[];
  /** Lifetime of the next tokens, in seconds (GitHub: `expires_at`; OAuth2: `expires_in`, undefined = omitted). */
  lifetimeSeconds: number | undefined;
  /** Length of GitHub tokens: 40 (classic `ghs_`) or e.g. 520 (the JWT-format ones). */
  gitHubTokenLength: number;
  faults: Map<string, IssuerFault>;
  mints: Mint[];
  /** Rejections of token requests, with the reason (for debugging a failing test). */
  rejections: string[];
  apiRequests: Array<{ method: string; path: string; token?: string; status: number }>;
  /** TCP connections accepted so far (token requests and API requests on one keep-alive socket count once). */
  readonly connections: number;
  revoke(token: string): void;
  stop(): Promise<void>;
}

export async function startFakeTokenIssuer(
  github: GitHubAppConfig,
  oauth2Clients: OAuth2Client[] = [],
): Promise<FakeTokenIssuer> {
  const ca = await testCa();
  const sockets = new Set<Socket>();
  const valid = new Map<string, number>(); // token -> expiry (ms)
  let connections = 0;
  const issuer: FakeTokenIssuer = {
    origin: "",
    port: 0,
    hostKey: "",
    ca,
    github,
    oauth2Clients,
    lifetimeSeconds: 3600,
    gitHubTokenLength: 40,
    faults: new Map(),
    mints: [],
    rejections: [],
    apiRequests: [],
    get connections() {
      return connections;
    },
    revoke: (token) => void valid.delete(token),
    stop: async () => {},
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const fault = (res: ServerResponse, subject: string): boolean => {
    const f = issuer.faults.get(subject);
    if (!f) return false;
    if ("stall" in f) return true; // never answered; stop() destroys the socket
    json(
      res,
      f.status,
      f.body ?? { message: `fault ${f.status}` },
      f.retryAfter ? { "retry-after": f.retryAfter } : {},
    );
    return true;
  };
  const issue = (prefix: string, length: number) => {
    const token = `${prefix}${randomBytes(length).toString("base64url")}`.slice(
      0,
      Math.max(length, prefix.length + 8),
    );
    valid.set(token, Date.now() + (issuer.lifetimeSeconds ?? 3600) * 1000);
    return token;
  };

  const gitHub = (req: IncomingMessage, res: ServerResponse, installationId: string, body: string) => {
    if (fault(res, installationId)) return;
    const jwt = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const checked = checkAppJwt(jwt, github.publicKey, github.appId);
    if (typeof checked === "string") {
      issuer.rejections.push(checked);
      return json(res, 401, { message: "A JSON web token could not be decoded" });
    }
    if (!github.installationIds.includes(installationId)) return json(res, 404, { message: "Not Found" });
    const token = issue("ghs_", issuer.gitHubTokenLength);
    issuer.mints.push({
      kind: "github-app",
      subject: installationId,
      token,
      body,
      claims: checked.claims,
      jwt,
    });
    const expiresAt = new Date(Date.now() + (issuer.lifetimeSeconds ?? 3600) * 1000)
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
    json(res, 201, { token, expires_at: expiresAt, repository_selection: "selected" });
  };

  const oauth2 = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const form = new URLSearchParams(body);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    let id: string | undefined;
    let secret: string | undefined;
    let method: OAuth2Client["method"] | undefined;
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      [id, secret, method] = [
        formDecode(decoded.slice(0, colon)),
        formDecode(decoded.slice(colon + 1)),
        "client_secret_basic",
      ];
    } else if (form.has("client_id")) {
      [id, secret, method] = [
        form.get("client_id") ?? "",
        form.get("client_secret") ?? "",
        "client_secret_post",
      ];
    }
    if (id !== undefined && fault(res, id)) return;
    if (form.get("grant_type") !== "client_credentials")
      return json(res, 400, { error: "unsupported_grant_type" });
    const client = oauth2Clients.find((c) => c.id === id);
    if (!client || client.secret !== secret || client.method !== method) {
      issuer.rejections.push(`client ${String(id)} authenticated wrongly (${String(method)})`);
      return json(
        res,
        basic ? 401 : 400,
        { error: "invalid_client" },
        basic ? { "www-authenticate": "Basic" } : {},
      );
    }
    const token = issue("at-", 32);
    issuer.mints.push({ kind: "oauth2", subject: client.id, token, body });
    const lifetime = issuer.lifetimeSeconds === undefined ? {} : { expires_in: issuer.lifetimeSeconds };
    json(res, 200, { access_token: token, token_type: "Bearer", ...lifetime });
  };

  const api = (req: IncomingMessage, res: ServerResponse) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const ok = token !== undefined && (valid.get(token) ?? 0) > Date.now();
    const status = ok ? 200 : 401;
    issuer.apiRequests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      status,
      ...(token ? { token } : {}),
    });
    if (!ok) return json(res, 401, { message: "Bad credentials" });
    json(res, 200, { method: req.method, path: req.url, token });
  };

  const server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const installation = /\/app\/installations\/([^/]+)\/access_tokens$/.exec(path)?.[1];
      if (req.method === "POST" && installation !== undefined) return gitHub(req, res, installation, body);
      if (req.method === "POST" && path === "/oauth/token") return oauth2(req, res, body);
      api(req, res);
    });
  });
  server.on("connection", (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  issuer.port = port;
  issuer.origin = `https://localhost:${port}`;
  issuer.hostKey = `localhost_${port}`;
  let stopped: Promise<void> | undefined;
  issuer.stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return stopped;
  };
  return issuer;
}
