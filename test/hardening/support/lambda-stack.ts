/**
 * The whole Lambda-mode path, every part real: the daemon (built CLI, --function-name) -> the fake Lambda Invoke
 * API running a handler module (default: the built bundle) -> Parameter Store in moto, reached through a fault
 * relay (support/fault-relay.ts) so a test can make SSM refuse, throttle or deny -> the HTTPS upstream.
 * Parameters are canary values; `leaks()` searches the daemon's output, the function's output, every error body
 * a test saw and /metrics for them.
 */
import { type DaemonProcess, startDaemonProcess } from "../../e2e/daemon-process";
import { type HttpsUpstream, startHttpsUpstream } from "../../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../../support/lambda-invoke-endpoint";
import { seedParameters } from "../../support/moto";
import { sharedMoto, uniquePrefix } from "../../support/shared-moto";
import { type Canaries, canariesFor, findLeaks, type Leak } from "./canary";
import { type FaultRelay, startFaultRelay } from "./fault-relay";
import { signingParameters } from "./local-daemon";
import { header, rawExchange } from "./raw-client";

export interface LambdaStackOptions {
  /** Function name and SSM prefix label. */
  label: string;
  /** Handler module run by the Invoke endpoint (relative to the repo root); default the built bundle. */
  handlerModule?: string;
  /** The function's extra environment, e.g. SSM_SIGN_PROXY_CACHE_TTL. */
  functionEnv?: Record<string, string>;
  daemonArgs?: string[];
  /** The daemon's extra environment (overrides moto's fake keys, e.g. for a web-identity role). */
  daemonEnv?: Record<string, string | undefined>;
  /** Put a fault relay between the daemon and the Invoke endpoint too (e.g. to expire the daemon's key). */
  relayLambda?: boolean;
}

export interface Answer {
  status: number;
  body: string;
  headers: Array<[string, string]>;
}

export interface LambdaStack {
  upstream: HttpsUpstream;
  lambda: LambdaInvokeEndpoint;
  daemon: DaemonProcess;
  /** Between the function and moto's SSM. */
  ssmRelay: FaultRelay;
  /** Between the daemon and the Invoke endpoint, with `relayLambda`. */
  lambdaRelay: FaultRelay | undefined;
  functionName: string;
  /** SSM prefix, no trailing slash. */
  prefix: string;
  /** X-Api-Key of the upstream's host (`localhost_PORT`). */
  apiKey: string;
  /** Seeds canary parameters for another host key; returns its X-Api-Key value. */
  addHost(hostKey: string): Promise<string>;
  /** Overwrites one parameter (a rotation). */
  rotate(hostKey: string, value: string): Promise<void>;
  /** GET through the daemon on a raw socket; proxy-made answers' bodies are kept for the leak check. */
  get(url: string): Promise<Answer>;
  url(path: string): string;
  /** Both processes still running. */
  alive(): boolean;
  leaks(extra?: Record<string, string>): Promise<Leak[]>;
  stop(): Promise<void>;
}

export async function startLambdaStack(options: LambdaStackOptions): Promise<LambdaStack> {
  const moto = sharedMoto();
  const prefix = uniquePrefix(options.label).replace(/\/$/, "");
  const functionName = `sign-proxy-${options.label}`;
  const values: string[] = [];
  const basics: Canaries[] = [];
  const stoppers: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
  };
  const addHost = async (hostKey: string) => {
    const signing = signingParameters(hostKey, prefix);
    values.push(...signing.canaries.values);
    basics.push(signing.canaries);
    await seedParameters(moto.endpoint, signing.params);
    return signing.apiKey;
  };

  try {
    const upstream = await startHttpsUpstream();
    stoppers.push(() => upstream.stop());
    const apiKey = await addHost(upstream.hostKey);
    const ssmRelay = await startFaultRelay(moto.endpoint);
    stoppers.push(() => ssmRelay.stop());
    const lambda = await startLambdaInvokeEndpoint({
      functionName,
      ...(options.handlerModule ? { handlerModule: options.handlerModule } : {}),
      env: { AWS_ENDPOINT_URL_SSM: ssmRelay.endpoint, SSM_SIGN_PROXY_PREFIX: prefix, ...options.functionEnv },
    });
    stoppers.push(() => lambda.stop());
    const lambdaRelay = options.relayLambda ? await startFaultRelay(lambda.endpoint) : undefined;
    if (lambdaRelay) stoppers.push(() => lambdaRelay.stop());
    const daemonEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({
      ...moto.env,
      AWS_ENDPOINT_URL_LAMBDA: (lambdaRelay ?? lambda).endpoint,
      ...options.daemonEnv,
    }))
      if (v !== undefined) daemonEnv[k] = v;
    const daemon = await startDaemonProcess({
      args: ["--function-name", functionName, "--log-level", "debug", ...(options.daemonArgs ?? [])],
      env: daemonEnv,
    });
    stoppers.push(() => daemon.stop());

    const errorBodies: string[] = [];
    return {
      upstream,
      lambda,
      daemon,
      ssmRelay,
      lambdaRelay,
      functionName,
      prefix,
      apiKey,
      addHost,
      rotate: (hostKey, value) =>
        seedParameters(moto.endpoint, { [`${prefix}/${hostKey}/headers/X-Api-Key`]: value }),
      async get(url) {
        const target = new URL(url);
        const response = await rawExchange(
          daemon.port,
          `GET ${url} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`,
        );
        const body = response.body.toString("utf8");
        if (header(response, "x-ssm-sign-proxy-error")) errorBodies.push(body);
        return { status: response.status, body, headers: response.headers };
      },
      url: (path) => `http://localhost:${upstream.port}${path}`,
      alive: () => daemon.child.exitCode === null && lambda.process.child.exitCode === null,
      async leaks(extra = {}) {
        const metrics =
          daemon.child.exitCode === null ? await (await fetch(`${daemon.proxyUrl}/metrics`)).text() : "";
        const canaries: Canaries = {
          values,
          needles: [...new Set([...canariesFor(values).needles, ...basics.flatMap((c) => c.needles)])],
        };
        return findLeaks(canaries, {
          "daemon output": daemon.output(),
          "function output": lambda.process.allOutput(),
          "error bodies": errorBodies.join("\n"),
          metrics,
          ...extra,
        });
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
