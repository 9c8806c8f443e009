/**
 * The README's quick start, offline: the example echo server, the example parameter file, the daemon (both
 * the npm bin and the standalone bundle) and curl through http_proxy. The echo server runs on a free port
 * instead of 8443, so the parameter file is the example's with that one name changed.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent, get as httpsGet } from "node:https";
import { connect } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort } from "../support/free-port";
import { curl } from "./clients";
import { CLI, STANDALONE, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const run = promisify(execFile);

/**
 * An interactive bash on a pseudo-terminal: types argv[1], waits for the daemon's "listening" line, then types
 * Ctrl-C (the terminal sends SIGINT to the foreground process group) and prints what the terminal showed.
 */
const CTRL_C_IN_A_TERMINAL = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.chdir(sys.argv[2])
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
seen = b""
def read_until(done, seconds):
    global seen
    end = time.time() + seconds
    while time.time() < end and not done():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
os.write(fd, (sys.argv[1] + "\\n").encode())
read_until(lambda: b"listening on http://" in seen, 20)
os.write(fd, b"\\x03")
read_until(lambda: b"stopped" in seen, 8)
time.sleep(0.5)
os.write(fd, b"exit\\n")
read_until(lambda: False, 1)
sys.stdout.write(seen.decode(errors="replace"))
`;

/** Whether nothing listens on 127.0.0.1:port any more. */
function refuses(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(false);
    });
    socket.once("error", () => done(true));
  });
}
const EXAMPLES = resolve(import.meta.dirname, "../../examples");
let echo: ChildProcess;
/** What the echo server printed: one line per request, with the Authorization it arrived with. */
let echoed = "";
let port: number;
let params: ParamsFile;

beforeAll(async () => {
  port = await getFreePort();
  echo = spawn(process.execPath, [resolve(EXAMPLES, "echo-server.mjs"), "--port", String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((ready, fail) => {
    echo.stdout?.setEncoding("utf8").on("data", (text: string) => {
      echoed += text;
      if (text.includes("listening")) ready();
    });
    echo.once("exit", (code) => fail(new Error(`echo server exited with ${code}`)));
  });
  const example = readFileSync(resolve(EXAMPLES, "params.json"), "utf8");
  expect(example).toContain("/localhost_8443/headers/Authorization");
  params = paramsFile(example.replaceAll("localhost_8443", `localhost_${port}`));
});

afterAll(() => {
  echo?.kill("SIGTERM");
  params?.remove();
});

describe("quick start (offline)", () => {
  for (const [name, script] of [
    ["npx ssm-sign-proxy (the npm bin)", CLI],
    ["the standalone bundle", STANDALONE],
  ] as const) {
    it(`${name}: curl through http_proxy gets the header from examples/params.json`, async () => {
      const daemon = await startDaemonProcess({
        script,
        args: ["--local", params.path],
        env: { NODE_EXTRA_CA_CERTS: resolve(EXAMPLES, "echo-server.crt") },
      });
      try {
        const answer = await curl(daemon.proxyUrl, `http://localhost:${port}/hello`);
        expect(answer.status).toBe(200);
        const seen = JSON.parse(answer.body) as { url: string; headers: Record<string, string> };
        expect(seen.url).toBe("/hello");
        // The echo server got the token; its echo of it reaches curl scrubbed.
        expect(seen.headers.Authorization).toBe("[redacted by ssm-sign-proxy]");
        await expect
          .poll(() => echoed)
          .toContain(`GET /hello arrived with Authorization: Bearer example-token-from-params-json`);
      } finally {
        expect(await daemon.stop()).toBe(0);
      }
    });
  }

  it("examples/signed-fetch.mjs signs in-process with the example parameters (no daemon)", async () => {
    const { stdout } = await run(process.execPath, [resolve(EXAMPLES, "signed-fetch.mjs")], {
      env: {
        PATH: process.env.PATH ?? "",
        NODE_EXTRA_CA_CERTS: resolve(EXAMPLES, "echo-server.crt"),
        ECHO_URL: `https://localhost:${port}/from-example`,
        PARAMS: params.path,
      },
    });
    const [status, ...rest] = stdout.split("\n");
    expect(status).toBe("200");
    const seen = JSON.parse(rest.join("\n")) as { url: string; headers: Record<string, string> };
    expect(seen).toMatchObject({
      url: "/from-example",
      headers: { Authorization: "[redacted by ssm-sign-proxy]" },
    });
    await expect
      .poll(() => echoed)
      .toContain("/from-example arrived with Authorization: Bearer example-token-from-params-json");
  });

  it("the bin answers --version and --help, and a usage error exits 2 naming the problem", async () => {
    const version = JSON.parse(readFileSync(resolve(EXAMPLES, "../package.json"), "utf8")).version as string;
    expect((await run(process.execPath, [CLI, "--version"])).stdout).toBe(`ssm-sign-proxy ${version}\n`);
    expect((await run(process.execPath, [CLI, "--help"])).stdout).toContain("--function-name NAME");
    const failed = await run(process.execPath, [CLI, "--local"]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 2, stderr: "ssm-sign-proxy: --local needs a value\n" });
  });

  it("the bin answers -v like --version", async () => {
    expect((await run(process.execPath, [CLI, "-v"])).stdout).toMatch(/^ssm-sign-proxy \d+\.\d+\.\d+\n$/);
  });

  it("a start-up error is printed once when stdout and stderr are the same pipe (2>&1, CI logs)", async () => {
    const { stdout } = await run("sh", [
      "-c",
      `"$0" "$1" --local /nonexistent/params.json 2>&1; echo "exit $?"`,
      process.execPath,
      CLI,
    ]);
    expect(stdout.split("/nonexistent/params.json: file not found").length - 1).toBe(1);
    expect(stdout).toContain("ssm-sign-proxy: parameter file /nonexistent/params.json: file not found\n");
    expect(stdout).toMatch(/exit 1\n$/);
  });

  it("a second echo server on a port in use exits 1 with one line saying what to stop, no stack trace", async () => {
    const second = await run(process.execPath, [
      resolve(EXAMPLES, "echo-server.mjs"),
      "--port",
      String(port),
    ]).catch((err: { code: number; stderr: string }) => err);
    expect(second).toMatchObject({ code: 1 });
    const { stderr } = second as { stderr: string };
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain(`port ${port} on localhost is already in use`);
    expect(stderr).toContain("--port");
  });

  it("the echo server stops at once on Ctrl-C or kill, even with a keep-alive connection open", async () => {
    const own = await getFreePort();
    const second = spawn(process.execPath, [resolve(EXAMPLES, "echo-server.mjs"), "--port", String(own)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((done) => second.once("exit", done));
    await new Promise((ready) => second.stdout?.once("data", ready));
    const agent = new HttpsAgent({ keepAlive: true, ca: readFileSync(resolve(EXAMPLES, "echo-server.crt")) });
    try {
      await new Promise<void>((done, fail) =>
        httpsGet(`https://localhost:${own}/kept-alive`, { agent }, (res) => {
          res.resume();
          res.on("end", done);
        }).on("error", fail),
      );
      const started = performance.now();
      second.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      agent.destroy();
      second.kill("SIGKILL");
    }
  });

  it("a request that bypassed the daemon (no_proxy=localhost) gets a plain answer naming no_proxy", async () => {
    const { stdout } = await run("curl", ["-sS", `http://localhost:${port}/hello`], {
      env: { PATH: process.env.PATH ?? "", no_proxy: "localhost", http_proxy: "http://127.0.0.1:9" },
    });
    expect(stdout).toContain("not through the daemon");
    expect(stdout).toContain("no_proxy");
  });

  it("the README's first-shell line, run in an interactive shell, stops the daemon and the echo server on Ctrl-C", {
    timeout: 40_000,
  }, async () => {
    const readme = readFileSync(resolve(EXAMPLES, "../README.md"), "utf8");
    const line = readme.split("\n").find((l) => l.startsWith("(node examples/echo-server.mjs &"));
    expect(line, "README quick start: the (echo server & daemon) line").toBeDefined();
    // The "two commands" one-liner is the same line after npm ci.
    expect(readme).toContain(`\nnpm ci && ${line}\n`);
    const [echoPort, daemonPort] = [await getFreePort(), await getFreePort()];
    const own = paramsFile(
      readFileSync(resolve(EXAMPLES, "params.json"), "utf8").replaceAll("8443", String(echoPort)),
    );
    // The same line on free ports, with the built bin for npx (npx would only add its start-up time).
    const command = (line ?? "")
      .replace("node examples/echo-server.mjs", `node examples/echo-server.mjs --port ${echoPort}`)
      .replace("npx ssm-sign-proxy", `node ${CLI}`)
      .replace("examples/params.json", own.path)
      .replace(/\)$/, ` --address 127.0.0.1:${daemonPort})`);
    try {
      const { stdout } = await run(
        "python3",
        ["-c", CTRL_C_IN_A_TERMINAL, command, resolve(EXAMPLES, "..")],
        {
          timeout: 35_000,
        },
      );
      expect(stdout).toContain("listening on http://127.0.0.1");
      expect(stdout).toContain("stopped");
      for (const p of [echoPort, daemonPort])
        await expect.poll(() => refuses(p), { timeout: 5000 }).toBe(true);
    } finally {
      own.remove();
    }
  });

  it("a missing parameter file exits 1 naming the file", async () => {
    const failed = await run(process.execPath, [CLI, "--local", "/nonexistent/params.json"], {
      env: { PATH: process.env.PATH ?? "" },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain("/nonexistent/params.json: file not found");
  });
});
