/**
 * A host's signing rules, as the signing core (core.ts) needs them: read from the parameter source behind the
 * cache, with unknown hosts' reads under a lookup budget, and every way that can fail turned into a refusal
 * (rate-limited, denied, throttled, unavailable, path rejected, no parameters). Kept apart from core.ts so the
 * core reads as its steps, and all Parameter Store policy lives in one place.
 */
import { type Refusal, type RefusalCode, refuse } from "../core/refusal";
import { ExpirableCache } from "../parameters/expirable-cache";
import { LookupBudget } from "../parameters/lookup-budget";
import {
  type ParameterSource,
  ParameterSourceError,
  type ParameterSourceFailure,
} from "../parameters/parameter-source";
import { type ParsedRules, parseRules } from "../signing/signing-rules";
import type { LogSink, RequestLogLine } from "./request-log";

export interface HostRulesOptions {
  source: ParameterSource;
  log: LogSink;
  /** How long a host's parameters are trusted before re-reading. @default 300 */
  cacheTtlSeconds?: number;
  /** How long "no parameters for this host" is remembered. @default 30 */
  negativeCacheTtlSeconds?: number;
  /** Parameter Store reads per second for host names the cache does not know. @default 10 */
  unknownHostLookupsPerSecond?: number;
}

/** Rules for one host (`key`, read under `path`), or the refusal that answers instead; fills the log line. */
export type HostRules = (
  line: RequestLogLine,
  key: string,
  path: string,
  authority: string,
) => Promise<ParsedRules | Refusal>;

/** Rate-limited lookups are logged at most once per this interval, with the count, not once per request. */
const LIMITED_LOG_INTERVAL_MS = 10_000;

/** SDK retries have already backed off inside the invocation; the client may try again right away. */
const THROTTLED_RETRY_AFTER_SECONDS = "1";

const SOURCE_FAILURE_CODE: Record<ParameterSourceFailure, RefusalCode> = {
  "access-denied": "parameters-denied",
  throttled: "parameters-throttled",
  unreachable: "parameters-unavailable",
  rejected: "parameters-path-invalid",
};

/** Parameters under the host that were skipped, named with the reason: a typo'd kind is the usual one. */
function ignoredHint(parsed: ParsedRules): string {
  const shown = parsed.ignored.slice(0, 3).map((i) => `${i.name} (${i.reason})`);
  return shown.length > 0 ? `; ignored ${shown.join(", ")}` : "";
}

const hint = (text: string | undefined): string => (text ? `; ${text}` : "");

/** The refusal for a host with no usable parameters, naming where to create one and what was ignored. */
export function noParametersRefusal(
  parsed: ParsedRules,
  path: string,
  authority: string,
  extraHint: string | undefined,
): Refusal {
  return refuse(
    "no-parameters",
    `no parameters for host ${authority}: create one under ${path}/ (e.g. ${path}/headers/Authorization)` +
      ignoredHint(parsed) +
      hint(extraHint),
  );
}

function sourceFailureRefusal(line: RequestLogLine, error: unknown, path: string): Refusal {
  line.level = "error";
  if (!(error instanceof ParameterSourceError)) {
    line.error = "parameter source failed";
    return refuse("parameters-unavailable", `reading parameters under ${path} failed`);
  }
  line.error = error.message;
  if (error.failure === "throttled") {
    return refuse("parameters-throttled", `${error.message}; retry shortly`, [
      ["retry-after", THROTTLED_RETRY_AFTER_SECONDS],
    ]);
  }
  return refuse(SOURCE_FAILURE_CODE[error.failure], error.message);
}

export function createHostRules(options: HostRulesOptions): HostRules {
  const { log } = options;
  const cache = new ExpirableCache<string, ParsedRules>({
    ttlMs: (options.cacheTtlSeconds ?? 300) * 1000,
    negativeTtlMs: (options.negativeCacheTtlSeconds ?? 30) * 1000,
    isNegative: (parsed) => parsed.rules.kinds.length === 0,
  });
  const lookupRate = options.unknownHostLookupsPerSecond ?? 10;
  const lookups = new LookupBudget({ perSecond: lookupRate, burst: Math.max(100, lookupRate * 10) });
  let limitedLoggedAt = Number.NEGATIVE_INFINITY;

  /** Whether a host the cache does not know may cost a Parameter Store read now. */
  function lookupAllowed(key: string, authority: string): Refusal | undefined {
    if (cache.knows(key) || lookups.take()) return undefined;
    const now = Date.now();
    if (now - limitedLoggedAt >= LIMITED_LOG_INTERVAL_MS) {
      limitedLoggedAt = now;
      log({ level: "warn", msg: "unknown host lookups rate-limited", refused: lookups.drainRefused() });
    }
    return refuse(
      "lookups-rate-limited",
      `no parameters known for host ${authority}, and Parameter Store lookups of unknown hosts are over their ` +
        "rate limit on this instance; retry shortly (known hosts are not affected)",
      [["retry-after", String(lookups.retryAfterSeconds())]],
    );
  }

  return async function rulesFor(line, key, path, authority) {
    const limited = lookupAllowed(key, authority);
    if (limited) return limited;
    try {
      const cached = await cache.get(key, async () => {
        const result = parseRules(path, await options.source.getParametersByPath(path), authority);
        for (const ignored of result.ignored) {
          log({ level: "warn", msg: "parameter ignored", parameter: ignored.name, reason: ignored.reason });
        }
        return result;
      });
      line.cache = cached.outcome;
      if (cached.outcome === "stale") {
        const reason = cached.error instanceof Error ? cached.error.message : "unknown error";
        log({ level: "warn", msg: "serving stale parameters after a failed reload", host: key, reason });
      }
      return cached.value;
    } catch (error) {
      return sourceFailureRefusal(line, error, path);
    }
  };
}
