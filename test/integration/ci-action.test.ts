/**
 * The composite action (action.yml): valid YAML that references only its own inputs and step outputs, keeps
 * expressions out of scripts, and, run step by step like the runner does (a tiny runner below: inputs and
 * step outputs substituted into `env:`, GITHUB_ENV/GITHUB_OUTPUT files), starts the built daemon in the
 * background with --role-arn, waits for /healthz and exports http_proxy, through which a later "step"
 * (curl) is answered by a Lambda Invoke signed with the assumed-role keys. With `version:`, the action and
 * the CircleCI example in docs/keyless-ci.md download the standalone daemon from a (local) GitHub release and
 * refuse it unless its SHA-256 matches. Needs `npm run build`.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeActionsOidc, startFakeActionsOidc } from "../support/fake-actions-oidc";
import { getFreePort } from "../support/free-port";
import { sharedMoto } from "../support/shared-moto";
import { REPO_ROOT } from "../support/spawn-with-env";
import { testPython } from "../support/test-python";
import {
  FAKE_FUNCTION_BODY,
  type InvokeRecorder,
  type StsTap,
  startInvokeRecorder,
  startStsTap,
} from "./ci-recorders";

const run = promisify(execFile);
const ACTION_FILE = join(REPO_ROOT, "action.yml");
const BUNDLE = join(REPO_ROOT, "dist/standalone/ssm-sign-proxy.mjs");
const ROLE = "arn:aws:iam::123456789012:role/ci-sign-proxy";

interface ActionStep {
  id?: string;
  name?: string;
  shell?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
}
interface Action {
  name: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

/** action.yml parsed by PyYAML (a real YAML parser; the runner's is stricter than JSON-ish hand parsing). */
function loadAction(): Action {
  const json = execFileSync(
    testPython(),
    ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", ACTION_FILE],
    { encoding: "utf8" },
  );
  return JSON.parse(json) as Action;
}

const scratchDirs: string[] = [];
const EXPRESSION = /\$\{\{\s*([^}]*?)\s*\}\}/g;

function expressions(text: string): string[] {
  return [...text.matchAll(EXPRESSION)].map((m) => m[1] ?? "");
}

interface RunResult {
  ok: boolean;
  output: string;
  githubEnv: Record<string, string>;
  outputs: Record<string, string>;
}

function readKeyValues(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const pairs = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.includes("="))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
  return Object.fromEntries(pairs);
}

/** Runs the action's steps in order with bash, the way a runner would for `uses: ./`. */
async function runAction(
  action: Action,
  inputs: Record<string, string>,
  env: Record<string, string>,
  /** Runs each step through this command (e.g. into a private mount namespace); the script is its last argument. */
  wrap: string[] = [],
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "ci-action-"));
  const githubEnv = join(dir, "github_env");
  writeFileSync(githubEnv, "");
  const stepOutputs: Record<string, Record<string, string>> = {};
  const resolve = (expr: string): string => {
    const input = /^inputs\.([\w-]+)$/.exec(expr);
    if (input?.[1]) return inputs[input[1]] ?? action.inputs[input[1]]?.default ?? "";
    const out = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (out?.[1] && out[2]) return stepOutputs[out[1]]?.[out[2]] ?? "";
    throw new Error(`the test runner does not know the expression ${expr}`);
  };
  let output = "";
  try {
    for (const [index, step] of action.runs.steps.entries()) {
      // Other actions (actions/setup-node) are the runner's business; this machine already has Node.
      if (step.uses) continue;
      const outputFile = join(dir, `output_${index}`);
      writeFileSync(outputFile, "");
      const stepEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.env ?? {})) {
        stepEnv[k] = String(v).replace(EXPRESSION, (_m, expr: string) => resolve(expr.trim()));
      }
      try {
        const [command = "bash", ...args] = [
          ...wrap,
          ...(wrap.length ? [] : ["bash", "-e", "-c"]),
          step.run ?? "",
        ];
        const res = await run(command, args, {
          env: {
            ...env,
            ...stepEnv,
            GITHUB_ENV: githubEnv,
            GITHUB_OUTPUT: outputFile,
            GITHUB_ACTION_PATH: REPO_ROOT,
            RUNNER_TEMP: dir,
          },
          timeout: 60_000,
        });
        output += res.stdout + res.stderr;
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        output += (e.stdout ?? "") + (e.stderr ?? "");
        return { ok: false, output, githubEnv: readKeyValues(githubEnv), outputs: {} };
      }
      if (step.id) stepOutputs[step.id] = readKeyValues(outputFile);
    }
    const outputs: Record<string, string> = {};
    for (const [name, spec] of Object.entries(action.outputs)) {
      outputs[name] = String(spec.value).replace(EXPRESSION, (_m, expr: string) => resolve(expr.trim()));
    }
    const log = outputs["log-file"];
    if (log && existsSync(log)) output += readFileSync(log, "utf8");
    return { ok: true, output, githubEnv: readKeyValues(githubEnv), outputs };
  } finally {
    // The daemon logs into this directory while it runs; it is removed with the test's daemons.
    scratchDirs.push(dir);
  }
}

describe("action.yml: structure", () => {
  const action = loadAction();

  it("is a composite action whose script steps all name a shell", () => {
    expect(action.runs.using).toBe("composite");
    for (const step of action.runs.steps.filter((s) => !s.uses)) expect(step.shell).toBe("bash");
  });

  it("installs Node 22 (the Lambda runtime's) first, unless node-version is empty", () => {
    const [first] = action.runs.steps;
    expect(first?.uses).toMatch(/^actions\/setup-node@v\d+$/);
    expect(first?.if).toBe("inputs.node-version != ''");
    expect(first?.with?.["node-version"]).toBe("${{ inputs.node-version }}");
    expect(action.inputs["node-version"]?.default).toBe("22");
  });

  it("references only inputs it declares and outputs of steps that exist", () => {
    const ids = new Set(action.runs.steps.map((s) => s.id).filter(Boolean));
    const texts = [
      ...action.runs.steps.flatMap((s) =>
        [...Object.values(s.env ?? {}), ...Object.values(s.with ?? {})].map(String),
      ),
      ...Object.values(action.outputs).map((o) => o.value),
    ];
    const refs = texts.flatMap(expressions);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      const input = /^inputs\.([\w-]+)$/.exec(ref);
      const step = /^steps\.([\w-]+)\.outputs\.[\w-]+$/.exec(ref);
      if (input) expect(Object.keys(action.inputs), ref).toContain(input[1]);
      else if (step) expect([...ids], ref).toContain(step[1]);
      else throw new Error(`unexpected expression ${ref}`);
    }
  });

  it("declares the inputs the README documents, with audience defaulting to sts.amazonaws.com", () => {
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(["function-name", "role-arn", "audience", "address", "version"]),
    );
    expect(action.inputs["function-name"]?.required).toBe(true);
    expect(action.inputs.audience?.default).toBe("sts.amazonaws.com");
    expect(action.inputs.address?.default).toBe("127.0.0.1:8000");
  });

  it("never pastes an expression into script text (inputs reach scripts only through env)", () => {
    for (const step of action.runs.steps) expect(expressions(step.run ?? "")).toEqual([]);
  });
});

describe("action.yml: running it", () => {
  let oidc: FakeActionsOidc;
  let sts: StsTap;
  let lambda: InvokeRecorder;
  const pids: number[] = [];

  beforeAll(async () => {
    if (!existsSync(BUNDLE))
      throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (npm test does)`);
    oidc = await startFakeActionsOidc();
    sts = await startStsTap(sharedMoto().endpoint);
    lambda = await startInvokeRecorder();
  });

  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await oidc?.stop();
    await sts?.stop();
    await lambda?.stop();
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  });

  function baseEnv(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL_STS: sts.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      GITHUB_RUN_ID: "5150",
    };
  }

  it("starts the daemon with --role-arn, waits for /healthz, exports http_proxy that later steps use", async () => {
    const port = await getFreePort();
    const result = await runAction(
      loadAction(),
      { "function-name": "sign-proxy", "role-arn": ROLE, audience: "my-aud", address: `127.0.0.1:${port}` },
      { ...baseEnv(), ...oidc.env },
    );
    if (result.outputs.pid) pids.push(Number(result.outputs.pid));
    expect(result.ok, result.output).toBe(true);
    expect(result.githubEnv).toEqual({
      http_proxy: `http://127.0.0.1:${port}`,
      HTTP_PROXY: `http://127.0.0.1:${port}`,
    });
    expect(result.outputs["proxy-url"]).toBe(`http://127.0.0.1:${port}`);

    // The daemon asked for its own ID token, with the runner's bearer and the chosen audience.
    expect(oidc.requests.at(-1)?.authorization).toBe(`Bearer ${oidc.requestToken}`);
    expect(oidc.requests.at(-1)?.audience).toBe("my-aud");
    const assumed = sts.calls.at(-1);
    expect(assumed?.fields).toMatchObject({ RoleArn: ROLE, RoleSessionName: "ssm-sign-proxy-5150" });
    expect(assumed?.fields.WebIdentityToken).toBe(oidc.issued.at(-1));

    // A later step: plain curl, proxied by the exported variable alone.
    const answer = await run("curl", ["-sS", "--max-time", "10", "http://api.example.test/hello"], {
      env: { PATH: process.env.PATH ?? "", ...result.githubEnv },
    });
    expect(answer.stdout).toBe(FAKE_FUNCTION_BODY);
    const invoke = lambda.invokes.filter((i) => i.invocationType === "RequestResponse").at(-1);
    expect(invoke?.functionName).toBe("sign-proxy");
    expect(invoke?.accessKeyId).toMatch(/^ASIA/);
    expect(invoke?.accessKeyId).toBe(assumed?.accessKeyId);

    // Nothing secret in the step output or the daemon's log.
    expect(result.output).not.toContain(oidc.requestToken);
    for (const token of oidc.issued) expect(result.output).not.toContain(token);
  });

  it("with intercept: the CA goes into the trust store, `env` into GITHUB_ENV, and https:// URLs are signed", async () => {
    // The trust store is the machine's: each step runs in a private mount namespace whose trust store
    // directories are fresh tmpfs, so `ca install` really runs update-ca-certificates, on a copy.
    const unshare = ["unshare", "--mount", ...(process.getuid?.() === 0 ? [] : ["--map-root-user"])];
    const probe = spawnSync(unshare[0] ?? "unshare", [...unshare.slice(1), "true"]);
    if (probe.status !== 0 || !existsSync("/usr/sbin/update-ca-certificates")) {
      console.warn("skipped: needs unshare --mount and update-ca-certificates");
      return;
    }
    const script =
      'for d in /usr/local/share/ca-certificates /etc/ssl/certs; do mount -t tmpfs tmpfs "$d"; done; exec bash -e -c "$1"';
    const port = await getFreePort();
    const result = await runAction(
      loadAction(),
      { "function-name": "sign-proxy", address: `127.0.0.1:${port}`, intercept: "true" },
      { ...baseEnv(), AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "example-secret-key" },
      [...unshare, "sh", "-c", script, "sh"],
    );
    if (result.outputs.pid) pids.push(Number(result.outputs.pid));
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain("installed ");
    expect(result.output).toContain("/usr/local/share/ca-certificates/ssm-sign-proxy.crt");
    const proxy = `http://127.0.0.1:${port}`;
    expect(result.githubEnv).toMatchObject({
      http_proxy: proxy,
      https_proxy: proxy,
      HTTPS_PROXY: proxy,
      NODE_USE_ENV_PROXY: "1",
    });
    const bundle = readFileSync(result.githubEnv.SSL_CERT_FILE ?? "", "utf8");
    expect(bundle).toContain(readFileSync(result.githubEnv.NODE_EXTRA_CA_CERTS ?? "", "utf8").trim());

    // A later step: curl with an https:// URL and only the exported variables.
    const answer = await run("curl", ["-sS", "--max-time", "10", "https://api.example.test/hello"], {
      env: { PATH: process.env.PATH ?? "", ...result.githubEnv },
    });
    expect(answer.stdout).toBe(FAKE_FUNCTION_BODY);
  });

  it("without id-token: write, fails the step with the daemon's own explanation", async () => {
    const port = await getFreePort();
    const result = await runAction(
      loadAction(),
      { "function-name": "sign-proxy", "role-arn": ROLE, address: `127.0.0.1:${port}` },
      baseEnv(),
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain("the daemon exited during start-up");
    expect(result.output).toContain('add "permissions: id-token: write" to the job');
    expect(result.githubEnv).toEqual({});
  });
});

/** A GitHub release's download folder on loopback: GET /<name> answers files[name], anything else 404. */
async function startReleaseServer(files: Record<string, Buffer | string>) {
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? "/").slice(1);
    requested.push(name);
    const body = files[name];
    if (body === undefined) {
      res.writeHead(404).end("Not Found");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("action.yml: version input (a GitHub release, never the npm registry)", () => {
  const daemon = existsSync(BUNDLE) ? readFileSync(BUNDLE) : Buffer.alloc(0);
  const sha256 = createHash("sha256").update(daemon).digest("hex");
  const sums = `${"0".repeat(64)}  ssm-sign-proxy-0.1.0.tgz\n${sha256}  ssm-sign-proxy.mjs\n`;
  const pids: number[] = [];
  let release: Awaited<ReturnType<typeof startReleaseServer>>;
  let tampered: Awaited<ReturnType<typeof startReleaseServer>>;
  let lambda: InvokeRecorder;

  beforeAll(async () => {
    lambda = await startInvokeRecorder();
    release = await startReleaseServer({ "ssm-sign-proxy.mjs": daemon, SHA256SUMS: sums });
    const changed = Buffer.concat([daemon, Buffer.from("\nprocess.exit(0);\n")]);
    tampered = await startReleaseServer({ "ssm-sign-proxy.mjs": changed, SHA256SUMS: sums });
  });

  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await release?.stop();
    await tampered?.stop();
    await lambda?.stop();
  });

  // Static keys (no role-arn): the daemon's start-up check invokes the recorder.
  const env = () => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example",
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
  });

  /** Where the action put the download: RUNNER_TEMP (the runner's scratch folder) / ssm-sign-proxy-VERSION. */
  const downloadedDaemon = () => join(scratchDirs.at(-1) ?? "", "ssm-sign-proxy-0.1.0", "ssm-sign-proxy.mjs");

  it("downloads the release's ssm-sign-proxy.mjs, checks it against SHA256SUMS and runs it", async () => {
    const port = await getFreePort();
    const result = await runAction(
      loadAction(),
      {
        "function-name": "sign-proxy",
        version: "v0.1.0",
        "release-url": release.url,
        address: `127.0.0.1:${port}`,
      },
      env(),
    );
    if (result.outputs.pid) pids.push(Number(result.outputs.pid));
    expect(result.ok, result.output).toBe(true);
    expect(release.requested).toEqual(["ssm-sign-proxy.mjs", "SHA256SUMS"]);
    expect(result.output).toContain(`Verified ssm-sign-proxy.mjs of release 0.1.0 (${sha256})`);
    const file = downloadedDaemon();
    expect(readFileSync(file).equals(daemon)).toBe(true);
    const cmdline = readFileSync(`/proc/${result.outputs.pid}/cmdline`, "utf8").split("\0");
    expect(cmdline).toContain(file);
    expect(result.githubEnv.http_proxy).toBe(`http://127.0.0.1:${port}`);
  });

  it("refuses to run a download that does not match SHA256SUMS", async () => {
    const port = await getFreePort();
    const result = await runAction(
      loadAction(),
      {
        "function-name": "sign-proxy",
        version: "0.1.0",
        "release-url": tampered.url,
        address: `127.0.0.1:${port}`,
      },
      env(),
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain(
      "ssm-sign-proxy.mjs of release 0.1.0 does not match its SHA-256; refusing to run it",
    );
    expect(result.githubEnv).toEqual({});
  });

  it("with sha256, checks against that pin instead of the release's own list", async () => {
    const port = await getFreePort();
    const listsBefore = release.requested.filter((name) => name === "SHA256SUMS").length;
    const result = await runAction(
      loadAction(),
      {
        "function-name": "sign-proxy",
        version: "0.1.0",
        sha256: "f".repeat(64),
        "release-url": release.url,
        address: `127.0.0.1:${port}`,
      },
      env(),
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain("does not match its SHA-256");
    expect(release.requested.filter((name) => name === "SHA256SUMS")).toHaveLength(listsBefore);
    expect(existsSync(downloadedDaemon())).toBe(false);
  });

  it("refuses a version that is not a release version", async () => {
    const result = await runAction(loadAction(), { "function-name": "sign-proxy", version: "latest" }, env());
    expect(result.ok).toBe(false);
    expect(result.output).toContain("version 'latest' is not a release version such as 0.2.0 or v0.2.0");
    expect(release.requested.filter((name) => name === "latest")).toEqual([]);
  });
});

describe("docs/keyless-ci.md: the CircleCI example's download step", () => {
  interface CircleStep {
    run?: string | { name?: string; command?: string; background?: boolean };
  }
  const docs = readFileSync(join(REPO_ROOT, "docs/keyless-ci.md"), "utf8");
  const section = docs.slice(docs.search(/^#+ CircleCI$/m));
  const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const config = JSON.parse(
    execFileSync("python3", ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], {
      input: yamlBlock,
      encoding: "utf8",
    }),
  ) as { jobs: Record<string, { steps: (CircleStep | string)[] }> };
  const steps = Object.values(config.jobs).flatMap((job) => job.steps);
  const command = (name: string) =>
    steps
      .map((step) => (typeof step === "object" && typeof step.run === "object" ? step.run : undefined))
      .find((run) => run?.name === name)?.command ?? "";
  const daemon = existsSync(BUNDLE) ? readFileSync(BUNDLE) : Buffer.alloc(0);
  const sums = `${createHash("sha256").update(daemon).digest("hex")}  ssm-sign-proxy.mjs\n`;

  /** The step's shell text with its release URL pointed at `url`, run in a fresh folder like a job's. */
  async function download(url: string) {
    const script = command("Download ssm-sign-proxy").replace(/^base=.*$/m, `base="${url}"`);
    expect(script).toContain(`base="${url}"`);
    const dir = mkdtempSync(join(tmpdir(), "circleci-job-"));
    scratchDirs.push(dir);
    const result = await run("bash", ["-eo", "pipefail", "-c", script], { cwd: dir }).then(
      (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        output: error.stdout + error.stderr,
      }),
    );
    return { ...result, dir };
  }

  it("downloads ssm-sign-proxy.mjs and SHA256SUMS with curl and passes sha256sum -c", async () => {
    const release = await startReleaseServer({ "ssm-sign-proxy.mjs": daemon, SHA256SUMS: sums });
    try {
      const result = await download(release.url);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain("ssm-sign-proxy.mjs: OK");
      expect(readFileSync(join(result.dir, "ssm-sign-proxy.mjs")).equals(daemon)).toBe(true);
    } finally {
      await release.stop();
    }
    // The background step runs the file just checked, not a registry package.
    expect(command("ssm-sign-proxy")).toMatch(/ node ssm-sign-proxy\.mjs /);
    expect(yamlBlock).not.toContain("npx");
  });

  it("fails the step when the download does not match SHA256SUMS", async () => {
    const changed = Buffer.concat([daemon, Buffer.from("\n// changed\n")]);
    const release = await startReleaseServer({ "ssm-sign-proxy.mjs": changed, SHA256SUMS: sums });
    try {
      const result = await download(release.url);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain("did NOT match");
    } finally {
      await release.stop();
    }
  });
});
