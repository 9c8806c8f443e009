/**
 * A git server over HTTPS: `git http-backend` (CGI) behind node:https with the test CA's leaf, serving one
 * bare repository that needs HTTP Basic credentials, so a clone only works when the proxy injects them.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCa } from "./test-ca";

export interface GitHttpsServer {
  port: number;
  /** `https://localhost:PORT/repo.git` */
  url: string;
  /** The Authorization header of every request (undefined when absent). */
  authorizations: Array<string | undefined>;
  /** The commit the repository's main branch points at. */
  head: string;
  stop(): Promise<void>;
}

const HTTP_BACKEND = join(
  execFileSync("git", ["--exec-path"], { encoding: "utf8" }).trim(),
  "git-http-backend",
);

function makeRepository(root: string): string {
  const work = join(root, "work");
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: work,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
      encoding: "utf8",
    });
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(join(work, "README"), "cloned through the proxy\n");
  git("add", "README");
  git("commit", "-q", "-m", "first");
  execFileSync("git", ["clone", "-q", "--bare", work, join(root, "repo.git")]);
  return git("rev-parse", "HEAD").trim();
}

export async function startGitHttpsServer(username: string, password: string): Promise<GitHttpsServer> {
  const ca = await testCa();
  const root = mkdtempSync(join(tmpdir(), "sign-proxy-git-"));
  const head = makeRepository(root);
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const authorizations: Array<string | undefined> = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"', "Content-Length": "0" });
      res.end();
      return;
    }
    const url = new URL(req.url ?? "/", "https://localhost");
    const cgi = spawn(HTTP_BACKEND, [], {
      env: {
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_USER: username,
        REMOTE_ADDR: "127.0.0.1",
        ...(req.headers["content-encoding"]
          ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] }
          : {}),
        ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on("data", (c: Buffer) => chunks.push(c));
    cgi.on("close", () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf("\r\n\r\n") !== -1 ? out.indexOf("\r\n\r\n") : out.indexOf("\n\n");
      const sepLength = out.indexOf("\r\n\r\n") !== -1 ? 4 : 2;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of out.subarray(0, split).toString("latin1").split(/\r?\n/)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else if (name) headers[name] = value;
      }
      const body = out.subarray(split + sepLength);
      res.writeHead(status, { ...headers, "Content-Length": String(body.length) });
      res.end(body);
    });
  };

  const server = createServer({ key: ca.keyPem, cert: ca.certPem }, handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `https://localhost:${port}/repo.git`,
    authorizations,
    head,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
