/**
 * The five ways of getting a request with its token to the upstream, each started once and kept warm for every
 * round. All of them reach the same upstream process over HTTPS with keep-alive.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LoadTarget } from "./load";
import { ensureNginx, startNginx } from "./nginx";
import { firstJsonLine, type Service, spawnService, waitForLogLine } from "./processes";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
/** BENCH_DAEMON_CLI: bench another build of the daemon (e.g. dist/standalone/ssm-sign-proxy.mjs, or unminified). */
export const DAEMON_CLI = process.env.BENCH_DAEMON_CLI ?? join(REPO_ROOT, "proxy-daemon/dist/cli.mjs");
/** The token every scenario must deliver; the upstream sees it in each request. */
export const HEADER: [string, string] = ["X-Api-Key", "bench-token-0123456789abcdef"];

export type ScenarioKey = "a" | "b" | "c" | "d" | "e";

export interface Scenario {
  key: ScenarioKey;
  label: string;
  target: LoadTarget;
  /** Processes whose resident memory is sampled under load, by role (e.g. daemon, function). */
  memory: Record<string, number>;
  services: Service[];
  /** Called between rounds, to drop whatever the scenario's helpers accumulate. */
  trim?: () => Promise<void>;
}

export interface Upstream {
  port: number;
  caFile: string;
  service: Service;
}

export interface BenchContext {
  dir: string;
  upstream: Upstream;
  log: (line: string) => void;
}

/** `http://localhost:PORT/echo`: what a client behind http_proxy asks for. */
function absoluteTarget(ctx: BenchContext): string {
  return `http://localhost:${ctx.upstream.port}/echo`;
}

export async function startUpstream(dir: string): Promise<Upstream> {
  const service = spawnService({
    name: "upstream",
    command: process.execPath,
    args: ["--import", "tsx", join(import.meta.dirname, "upstream-process.ts")],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    logFile: join(dir, "upstream.log"),
    stdoutPipe: true,
  });
  const { port, caFile } = await firstJsonLine<{ port: number; caFile: string }>(service).catch(
    async (err: unknown) => {
      await service.stop();
      throw err;
    },
  );
  return { port, caFile, service };
}

export function limitScenario(ctx: BenchContext): Scenario {
  return {
    key: "a",
    label: "client → upstream, header sent by the client (the limit)",
    target: {
      url: `https://localhost:${ctx.upstream.port}`,
      path: "/echo",
      headers: { [HEADER[0]]: HEADER[1] },
    },
    memory: {},
    services: [],
  };
}

/**
 * BENCH_CPU_PROF=DIR: the Node processes under test write V8 CPU profiles there on exit (open them in Chrome
 * DevTools or speedscope). Off by default: profiling slows what it measures.
 */
export function profileArgs(name: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", `${name}.cpuprofile`] : [];
}

/** The daemon as users run it: the built CLI, default log level (one JSON line per request, here to a file). */
export async function startDaemon(
  ctx: BenchContext,
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ service: Service; port: number }> {
  const service = spawnService({
    name,
    command: process.execPath,
    args: [...profileArgs(name), DAEMON_CLI, "--address", "127.0.0.1:0", ...args],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_EC2_METADATA_DISABLED: "true",
      NODE_EXTRA_CA_CERTS: ctx.upstream.caFile,
      // BENCH_DAEMON_NODE_OPTIONS: V8 flags to try on the daemon (e.g. --max-semi-space-size=4 for its RSS).
      NODE_OPTIONS: process.env.BENCH_DAEMON_NODE_OPTIONS,
      ...env,
    },
    logFile: join(ctx.dir, `${name}.log`),
  });
  const line = await waitForLogLine(
    service,
    (l) => typeof l.address === "string" && String(l.msg).startsWith("listening"),
  ).catch(async (err: unknown) => {
    await service.stop(); // a daemon that never said it listens must not outlive the bench
    throw err;
  });
  const port = Number(String(line.address).split(":").pop());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${name}: no port in ${JSON.stringify(line)}`);
  return { service, port };
}

export async function localDaemonScenario(ctx: BenchContext): Promise<Scenario> {
  const paramsPath = join(ctx.dir, "params.json");
  writeFileSync(
    paramsPath,
    JSON.stringify({ [`/bench/localhost_${ctx.upstream.port}/headers/${HEADER[0]}`]: HEADER[1] }),
  );
  const { service, port } = await startDaemon(
    ctx,
    "daemon-local",
    ["--local", paramsPath, "--prefix", "bench"],
    {},
  );
  return {
    key: "b",
    label: "daemon --local (signs in-process)",
    target: { url: `http://127.0.0.1:${port}`, path: absoluteTarget(ctx), headers: {} },
    memory: { daemon: service.pid },
    services: [service],
  };
}

export async function plainProxyScenario(ctx: BenchContext): Promise<Scenario> {
  const service = spawnService({
    name: "plain-proxy",
    command: process.execPath,
    args: [
      ...profileArgs("plain-proxy"),
      "--import",
      "tsx",
      join(import.meta.dirname, "plain-proxy-process.ts"),
    ],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: ctx.upstream.caFile },
    logFile: join(ctx.dir, "plain-proxy.log"),
    stdoutPipe: true,
  });
  const { port } = await firstJsonLine<{ port: number }>(service).catch(async (err: unknown) => {
    await service.stop();
    throw err;
  });
  return {
    key: "d",
    label: "`proxy` npm package, no signing (client sends the header)",
    target: {
      url: `http://127.0.0.1:${port}`,
      path: absoluteTarget(ctx),
      headers: { [HEADER[0]]: HEADER[1] },
    },
    memory: { proxy: service.pid },
    services: [service],
  };
}

export async function nginxScenario(ctx: BenchContext): Promise<Scenario | { skipped: string }> {
  const nginx = ensureNginx(ctx.log);
  if (nginx.kind === "unavailable") return { skipped: nginx.reason };
  const running = await startNginx({
    binary: nginx.binary,
    dir: ctx.dir,
    upstreamPort: ctx.upstream.port,
    caFile: ctx.upstream.caFile,
    header: HEADER,
  });
  return {
    key: "e",
    label: "nginx injecting the header (1 worker)",
    // A reverse proxy for one API: clients call it with origin-form URLs.
    target: { url: `http://127.0.0.1:${running.port}`, path: "/echo", headers: {} },
    memory: { nginx: running.service.pid },
    services: [running.service],
  };
}
