/** Puts the daemon together from options: signer (local or Lambda), health, metrics, server, start-up check. */
import { hostname } from "node:os";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { CallerContext } from "../../lambda/core/proxy-request";
import { startCiCredentials } from "../credentials/github-actions-credentials";
import type { ConnectSetup } from "../http/connect/connect-handler";
import { createProxyServer } from "../http/proxy-server";
import type { Invoker } from "../invoke/invoker";
import { checkFunctionName, checkNamedProfile, checkRegion } from "../invoke/lambda/aws-preflight";
import { instanceId } from "../invoke/lambda/imds";
import { createLambdaClient, createStsClient } from "../invoke/lambda/lambda-client";
import { LambdaInvoker } from "../invoke/lambda/lambda-invoker";
import { backoffMs, checkFunction } from "../invoke/lambda/startup-check";
import { LocalInvoker } from "../invoke/local/local-invoker";
import { LocalParameterFile } from "../invoke/local/local-parameter-file";
import { Health } from "../observe/health";
import type { Logger } from "../observe/logger";
import { createMetrics } from "../observe/metrics";
import { ensureCa, expiresSoon } from "../tls/ca-store";
import { LeafCache } from "../tls/leaf-cache";
import type { DaemonOptions } from "./cli-options";
import { formatAuthority, isLoopbackHost, proxyHint } from "./listen-address";

export interface DaemonDeps {
  log: Logger;
  /** Lambda mode only: credentials other than the default chain (e.g. GitHub Actions OIDC). */
  credentials?: AwsCredentialIdentityProvider;
}

export interface RunningDaemon {
  /** `host:port` actually bound (useful with port 0). */
  address: string;
  port: number;
  /** Graceful stop: no new connections, in-flight requests get up to --timeout to finish. */
  stop(): Promise<void>;
}

/** A permanent start-up failure: the CLI prints it and exits non-zero. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

export async function startDaemon(options: DaemonOptions, deps: DaemonDeps): Promise<RunningDaemon> {
  const { log } = deps;
  const mode = options.mode.kind;
  const connect = interceptSetup(options, log);
  const health = new Health(
    mode,
    options.mode.kind === "lambda" ? options.mode.functionName : options.mode.file,
  );
  const metrics = createMetrics();
  let notReady: string | undefined;
  let stopRetrying = () => {};
  let releaseSts = () => {};
  let invoker: Invoker;

  if (options.mode.kind === "local") {
    let file: LocalParameterFile;
    try {
      file = await LocalParameterFile.open(options.mode.file, (fields, msg) => log.warn(fields, msg));
    } catch (err) {
      throw new StartupError((err as Error).message);
    }
    invoker = new LocalInvoker({
      file,
      prefix: options.prefix,
      timeoutSeconds: options.timeoutSeconds,
      scrub: options.scrub,
      // The handler's per-request audit line duplicates ours: keep it for debugging only.
      log: (line) => {
        const { level, msg, ...rest } = line as { level?: string; msg?: string };
        const text = `signer: ${msg ?? "log"}`;
        if (level === "warn" || level === "error") log[level](rest, text);
        else log.debug(rest, text);
      },
    });
    log.info(
      { file: file.path, parameters: file.size },
      "local mode: signing in-process from the parameter file",
    );
  } else {
    if (options.prefix)
      log.warn(
        { prefix: options.prefix },
        "--prefix is ignored in Lambda mode: the function's SSM_SIGN_PROXY_PREFIX decides",
      );
    const functionName = options.mode.functionName;
    // Misconfigurations no retry can fix end the daemon here; only network failures are retried below.
    const target = checkFunctionName(functionName);
    if (target.kind === "invalid") throw new StartupError(target.message);
    const badProfile = checkNamedProfile(process.env);
    if (badProfile) throw new StartupError(badProfile);
    // Injected credentials win; else --role-arn (keyless CI, fails here with the reason); else the default chain.
    const ci = deps.credentials
      ? undefined
      : await startCiCredentials({
          roleArn: options.roleArn,
          audience: options.audience,
          env: process.env,
          log,
        });
    if (ci?.kind === "error") throw new StartupError(ci.message);
    const credentials = deps.credentials ?? (ci?.kind === "role" ? ci.provider : undefined);
    // A full ARN names its region: the client must sign for (and call) that one.
    const clientOptions = {
      ...(credentials ? { credentials } : {}),
      ...(target.region ? { region: target.region } : {}),
    };
    const lambda = createLambdaClient(clientOptions);
    const sts = createStsClient(clientOptions);
    const noRegion = await checkRegion(() => lambda.config.region(), process.env);
    if (noRegion) {
      lambda.destroy();
      sts.destroy();
      throw new StartupError(noRegion);
    }
    const first = await checkFunction(lambda, sts, functionName);
    if (first.kind === "permanent") {
      lambda.destroy();
      sts.destroy();
      throw new StartupError(first.message);
    }
    invoker = new LambdaInvoker({
      client: lambda,
      functionName,
      timeoutSeconds: options.timeoutSeconds,
      direct: true,
      renewClient: () => {
        if (ci?.kind === "role") ci.provider.invalidate();
        log.warn(
          { function: functionName },
          "Lambda said the credentials expired; fetching new ones and retrying once",
        );
        return createLambdaClient(clientOptions);
      },
    });
    if (first.kind === "transient") {
      notReady = first.message;
      health.markBroken(first.message);
      log.warn(
        { function: functionName, error: first.message },
        "start-up check failed; retrying in the background",
      );
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      stopRetrying = () => {
        stopped = true;
        clearTimeout(timer);
      };
      const retry = (attempt: number) => {
        timer = setTimeout(async () => {
          const outcome = await checkFunction(lambda, sts, functionName);
          if (stopped) return;
          if (outcome.kind === "ok") {
            notReady = undefined;
            health.markHealthy();
            log.info({ function: functionName }, "start-up check passed; serving");
          } else {
            notReady = outcome.message;
            health.markBroken(outcome.message);
            log.warn(
              { function: functionName, error: outcome.message, permanent: outcome.kind === "permanent" },
              "start-up check failed again",
            );
            retry(attempt + 1);
          }
        }, backoffMs(attempt));
        timer.unref();
      };
      retry(0);
    } else {
      log.info({ function: functionName }, "Lambda mode: DryRun invoke succeeded");
    }
    // The STS client only names the caller in start-up errors; release it with the daemon.
    releaseSts = () => sts.destroy();
  }

  const caller: CallerContext = { hostname: hostname(), mode };
  void instanceId().then((id) => {
    if (id) caller.instanceId = id;
  });

  const proxy = createProxyServer({
    invoker,
    mode,
    metrics,
    health,
    log,
    maxBodyBytes: options.maxBodyBytes,
    timeoutSeconds: options.timeoutSeconds,
    allow: options.allow,
    ...(options.proxyToken !== undefined ? { proxyToken: options.proxyToken } : {}),
    publicHealth: options.publicHealth,
    maxInFlight: options.maxInFlight,
    maxBufferedBytes: options.maxBufferedBytes,
    writeTimeoutSeconds: options.writeTimeoutSeconds,
    caller: () => caller,
    notReadyReason: () => notReady,
    connect,
  });
  let bound: { address: string; port: number };
  try {
    bound = await proxy.listen(options.address.host, options.address.port);
  } catch (err) {
    stopRetrying();
    await invoker.close();
    releaseSts();
    throw new StartupError(
      `cannot listen on ${formatAuthority(options.address.host, options.address.port)}: ${(err as Error).message}`,
    );
  }
  const address = formatAuthority(bound.address, bound.port);
  if (
    !isLoopbackHost(bound.address) &&
    options.allow.cidrs.length === 0 &&
    options.proxyToken === undefined
  ) {
    log.warn(
      { address },
      "listening beyond loopback with neither --allow nor --proxy-token: anyone who reaches this port can call APIs with your tokens",
    );
  }
  log.info(
    {
      address,
      mode,
      allow: options.allow.cidrs,
      proxyToken: options.proxyToken !== undefined,
      maxBody: options.maxBodyBytes,
      timeout: options.timeoutSeconds,
      intercept: options.intercept,
      tunnel: options.tunnel.patterns,
    },
    options.intercept
      ? `listening on http://${address} (${proxyHint(bound.address, bound.port, hostname())}; for https_proxy and the CA: eval "$(ssm-sign-proxy env --address ${address} --ca-dir ${options.caDir})")`
      : `listening on http://${address} (${proxyHint(bound.address, bound.port, hostname())})`,
  );

  return {
    address,
    port: bound.port,
    async stop() {
      stopRetrying();
      await proxy.stop(options.timeoutSeconds * 1000);
      await invoker.close();
      releaseSts();
    },
  };
}

/** --intercept: the local CA (created on first use) and its leaf cache; --tunnel: the pass-through hosts. */
function interceptSetup(options: DaemonOptions, log: Logger): ConnectSetup {
  const setup: ConnectSetup = { tunnelHosts: options.tunnel };
  if (!options.intercept) return setup;
  const ca = ensureCa(options.caDir);
  if ("kind" in ca) throw new StartupError(ca.message);
  if (expiresSoon(ca)) {
    log.warn(
      { ca: ca.certPath, validTo: ca.cert.validTo },
      "the interception CA expires within 30 days: remove its directory, run `ssm-sign-proxy ca init` and trust the new one",
    );
  }
  log.info(
    { ca: ca.certPath, validTo: ca.cert.validTo },
    "interception on: HTTPS inside CONNECT tunnels is terminated with leaves from the local CA (clients must trust it: `ssm-sign-proxy env`)",
  );
  setup.leaves = new LeafCache(ca, undefined, undefined, (host) =>
    log.info({ host }, "minted a leaf certificate"),
  );
  return setup;
}
