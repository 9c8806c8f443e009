/**
 * A daemon in --local mode in front of the test HTTPS upstream, with canary secrets as its parameters: the setup
 * most hardening files start from. Everything it prints, every error body the test saw and /metrics are kept so
 * a test can assert that no canary leaked.
 */
import { type DaemonProcess, startDaemonProcess } from "../../e2e/daemon-process";
import { type ParamsFile, paramsFile } from "../../e2e/params-file";
import {
  type HttpsUpstream,
  type HttpsUpstreamOptions,
  startHttpsUpstream,
} from "../../support/https-upstream";
import { type Canaries, canariesFor, canaryValue, findLeaks, type Leak } from "./canary";

export interface SignedSetup {
  upstream: HttpsUpstream;
  params: ParamsFile;
  daemon: DaemonProcess;
  canaries: Canaries;
  /** Header value the upstream must receive as X-Api-Key. */
  apiKey: string;
  /** Bodies of every answer the proxy made up itself (x-ssm-sign-proxy-error or a non-upstream status). */
  errorBodies: string[];
  /** `http://localhost:PORT` + path: the URL a client asks the daemon for. */
  url(path: string): string;
  /** Logs, error bodies, metrics: every place a secret must never show up. */
  leaks(): Promise<Leak[]>;
  stop(): Promise<void>;
}

/** `--proxy-token` guards /metrics too: the leak search reads it with the daemon's token. */
function pageAuthorization(args: string[]): Record<string, string> {
  const at = args.indexOf("--proxy-token");
  const token = at === -1 ? undefined : args[at + 1];
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

export function signingParameters(hostKey: string, prefix = "") {
  const apiKey = canaryValue("header");
  const username = canaryValue("user");
  const password = canaryValue("password");
  const queryValue = canaryValue("query");
  const params: Record<string, string> = {
    [`${prefix}/${hostKey}/headers/X-Api-Key`]: apiKey,
    [`${prefix}/${hostKey}/basic/username`]: username,
    [`${prefix}/${hostKey}/basic/password`]: password,
    [`${prefix}/${hostKey}/queries/api_key`]: queryValue,
  };
  const canaries = canariesFor([apiKey, username, password, queryValue], { username, password });
  return { params, canaries, apiKey };
}

export async function startSignedSetup(
  extraArgs: string[] = [],
  env: Record<string, string> = {},
  upstreamOptions: HttpsUpstreamOptions = {},
): Promise<SignedSetup> {
  const upstream = await startHttpsUpstream(upstreamOptions);
  const { params: values, canaries, apiKey } = signingParameters(upstream.hostKey);
  const params = paramsFile(values);
  let daemon: DaemonProcess;
  try {
    daemon = await startDaemonProcess({
      args: ["--local", params.path, "--log-level", "debug", ...extraArgs],
      env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile, ...env },
    });
  } catch (error) {
    await upstream.stop();
    params.remove();
    throw error;
  }
  const errorBodies: string[] = [];
  return {
    upstream,
    params,
    daemon,
    canaries,
    apiKey,
    errorBodies,
    url: (path) => `http://localhost:${upstream.port}${path}`,
    async leaks() {
      const metrics =
        daemon.child.exitCode === null
          ? await (
              await fetch(`${daemon.proxyUrl}/metrics`, { headers: pageAuthorization(extraArgs) })
            ).text()
          : "";
      return findLeaks(canaries, {
        "daemon output": daemon.output(),
        "error bodies": errorBodies.join("\n"),
        metrics,
      });
    },
    async stop() {
      await daemon.stop();
      await upstream.stop();
      params.remove();
    },
  };
}
