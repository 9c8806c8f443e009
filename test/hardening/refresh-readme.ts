/**
 * Rewrites docs/reliability.md's "Reliability" section from test/hardening/results.json (the figures of the last run).
 * Usage: npx tsx test/hardening/refresh-readme.ts
 * Only the text between `<!-- section:reliability -->` and `<!-- /section:reliability -->` is replaced.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { PUBLISHED_RESULTS_FILE, readResults, type Section } from "./support/figures";

const README = resolve(import.meta.dirname, "../../docs/reliability.md");
const START = "<!-- section:reliability -->";
const END = "<!-- /section:reliability -->";

const results = readResults(PUBLISHED_RESULTS_FILE);
const get = (name: string): Section => results[name] ?? {};
const num = (value: unknown): string => (typeof value === "number" ? value.toLocaleString("en-US") : "–");

function loadRow(mode: string, figures: unknown): string {
  const f = (figures ?? {}) as Record<string, unknown>;
  const mb = typeof f.bytesSent === "number" ? Math.round(f.bytesSent / 1024 / 1024) : undefined;
  const errors =
    f.errors && Object.keys(f.errors as object).length === 0 ? "0" : JSON.stringify(f.errors ?? "–");
  return `| ${mode} | ${num(f.ok)} / ${num(f.requests)} | ${errors} | ${f.sizes ?? "–"}, max ${num(f.maxBodyBytes)} B, ${num(mb)} MiB sent | ${num(f.requestsPerSecond)} req/s | ${num(f.peakRssMiB)} MiB |`;
}

const fuzz = get("fuzz");
const input = get("daemonInput");
const upstream = get("faultsUpstream");
const load = get("load");
const slowloris = get("slowloris");
const access = get("accessAndAddresses");
const lambdaFaults = get("faultsLambda");
const ssmFaults = get("faultsSsm");
const expiry = get("credentialsExpiry");
const rebinding = get("dnsRebinding");
const canary = get("canary");
const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
const faultCount =
  list(upstream.survived).length +
  list(lambdaFaults.survived).length +
  list(ssmFaults.survived).length +
  (list(expiry.proven).length > 0 ? 1 : 0);
const canaryModes = (canary.ran ?? {}) as Record<string, Record<string, number>>;
const reflection = get("reflection");
const memory = get("memoryBounds");
const flood = get("cacheFlood");
const hostileParameters = get("hostileParameters");
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
const pipelining = record(memory.pipelining);
const pipelineLambda = record(memory.pipeliningLambda);
const uploads = record(memory.uploadStorm);
const floodRun = record(flood.flood);
const mib = (bytes: unknown): string =>
  typeof bytes === "number" ? num(Math.round((bytes / 1024 / 1024) * 10) / 10) : "–";
const statuses = (value: unknown): string =>
  Object.entries(record(value))
    .map(([status, count]) => `${num(count)} × ${status === "0" ? "closed before the answer" : status}`)
    .join(", ") || "–";
const reflectionModes = Object.keys(record(reflection.statuses)).join(" and ") || "–";

const section = `${START}
# Reliability

The hardening suite (\`test/hardening/\`) runs in \`npm test\`; \`npm run soak\` runs its long version (\`SOAK=1\`).
\`HARDENING_RECORD=1 npm test\` (and the soak) write their figures to \`test/hardening/results.json\`; this page is generated from that file
(\`npx tsx test/hardening/refresh-readme.ts\`). Figures below: last recorded run (${load.run ?? "?"} for load,
${fuzz.run ?? "?"} for the rest), Node ${fuzz.node ?? "?"}, 2 cores.

**Bad input.** ${num(fuzz.totalCases)} fast-check cases (${num(fuzz.runsPerProperty)} per property) over the
event codec and handler (malformed events are a 400 \`bad request event\`, never a throw), host validation
(case and trailing dot name the same host; IPv6 literals and userinfo refused) and the daemon's request-target
parsing (the URI's host wins over Host; userinfo never forwarded). ${num(input.rawSocketCases)} raw-socket
requests against the daemon: request smuggling (CL+TE, TE+CL, two Content-Lengths, obfuscated TE) → 400;
headers over 16 KiB → 431; \`user:pw@\` URIs → 400, never forwarded; IPv6 literals → 400; two Host headers → 400;
NUL bytes and invalid methods → 400; fuzzed request heads never get a 500 or silence.

**Faults survived: ${num(faultCount)}**, each with its documented status, the daemon and the function still up,
and the next request served once the fault clears.

- *Upstream* (${list(upstream.survived).join("; ") || "–"}): refused 502 \`ECONNREFUSED\`; reset mid-body 502
  (never a truncated 200); reset before answering: one retry for idempotent methods, then 502; stall 504;
  untrusted certificate 502 and nothing sent; redirect loop: the 302 goes back to the client, never followed.
- *Lambda Invoke*, daemon in Lambda mode against the Invoke API (${list(lambdaFaults.survived).join("; ") || "–"}):
  unreachable 503 \`signer unavailable\`; slower than \`--timeout\` 504; throttled past the SDK's retries 503 with
  \`Retry-After\`; the function throws 502 naming the \`errorType\` (the message only in the daemon's debug log); its result is over 6 MB 502
  \`response too large\`.
- *Parameter Store*, the built bundle with SSM behind a fault relay and a 1 s cache TTL
  (${list(ssmFaults.survived).join("; ") || "–"}): with nothing cached, denied is 502 naming the path and
  \`ssm:GetParametersByPath\`, unreachable 502, throttled 503 with \`Retry-After\`; with a cached value that has
  expired, the request still succeeds with it (stale-if-error) and the function logs \`serving stale parameters\`;
  after the faults clear, rotated values are seen again (once the cache's 10 s retry pause is over).
- *Credentials expiring mid-run*, daemon with \`--role-arn\` and a web identity token file, moto STS issuing
  ${num(expiry.sessionSeconds)} s sessions, Lambda answering \`ExpiredTokenException\` for the held key:
  ${list(expiry.proven).join("; ") || "–"}. The AWS SDK neither retries \`ExpiredTokenException\` nor refreshes
  credentials it still believes valid, so the daemon does it: it drops the cached credentials, resolves new ones
  (re-reading the token file and assuming the role again; with the default chain, a new client resolves the chain
  again) and retries that Invoke once.

**Load held** (200 concurrent keep-alive clients through the daemon, random bodies 0–1 MiB, every answer
checked by SHA-256, zero errors allowed; RSS is the daemon's VmHWM):

| Mode | Answered OK | Errors | Bodies | Throughput | Peak RSS |
|---|---|---|---|---|---|
${loadRow("local (signer in-process)", load.local)}
${loadRow("Lambda (Invoke API → built bundle → moto SSM)", load.lambda)}

Throughput is bound by the shared 2 cores (client, upstream, daemon and function on one machine), not by the
daemon's limits. \`npm test\` runs 5,000 requests per mode; \`npm run soak\` runs 100,000 per mode
(\`LOAD_SIZES=uniform\` draws sizes uniformly instead).

**Slowloris.** ${num(slowloris.halfOpenConnections)} half-open connections trickling header lines did not
delay ${num(slowloris.realRequestsServedMeanwhile)} real requests; \`headersTimeout\` (10 s) closes them with 408,
\`requestTimeout\` is max(60 s, \`--timeout\`), both set on purpose in \`proxy-daemon/http/server/http-server.ts\`.

**Access and addresses.** ${[...list(access.proven), ...list(rebinding.proven)].join("; ") || "–"}. The
rebinding case runs the handler in a private mount and network namespace (\`unshare\`) whose /etc/hosts maps a
name to 169.254.169.254, with a listener on that address that counts no connection.

**Hostile clients and upstreams** (second round; \`reflection\`, \`memory-bounds\`, \`cache-flood\`,
\`hostile-parameters\` suites):

- *TRACE and URL reflection*, ${reflectionModes} mode, against an upstream that echoes TRACE and reflects the URL
  the way ordinary servers do: \`TRACE\`/\`TRACK\` are 405 \`trace-refused\` and never forwarded; a trailing-slash
  redirect keeping the query (\`Location\`, \`Content-Location\`, \`Link\`, \`Refresh\`), a login wall's \`next=\` and an
  Express 404 page quoting the rewritten path reach the client with every form of the secret (raw,
  percent-encoded once or twice, form-encoded, base64 \`user:password\`) replaced by \`[redacted by ssm-sign-proxy]\`
  (headers, and the body of 3xx-5xx text answers); an upstream \`101\` is an immediate 502 \`upstream-upgrade\` (was a
  504 after \`--timeout\`); an upstream's own \`x-ssm-sign-proxy-error\` is dropped.
- *Pipelining*: ${num(pipelining.requests)} requests for ${mib(pipelining.answerBytes)} MiB answers on one
  connection that never reads (was 504–576 MB of added RSS): ${num(pipelining.upstreamFetches)} upstream fetches in all
  (requests on a connection run one at a time, the socket paused), daemon peak RSS ${num(pipelining.peakRssMiB)} MiB
  with \`--local\` (${num(pipelining.rssBeforeMiB)} MiB before) and ${num(pipelineLambda.peakRssMiB)} MiB in Lambda mode
  (${num(pipelineLambda.upstreamFetches)} fetches), a real client on another connection served meanwhile, the reader
  disconnected after \`--write-timeout\`.
- *Upload storm*: ${num(uploads.uploads)} concurrent ${mib(uploads.uploadBytes)} MiB uploads (was about 700 MB added):
  ${statuses(uploads.statuses)} (503 \`daemon-busy\` with \`Retry-After\` beyond \`--max-buffered\`, by default 4 × \`--max-body\`),
  peak RSS ${num(uploads.peakRssMiB)} MiB; limit asserted: ${num(memory.rssLimitMiB)} MiB. A client that hangs up
  cancels the upstream fetch within ${num(memory.cancelAfterHangUpMs)} ms.
- *Cache flood*, the built bundle: ${num(floodRun.names)} distinct unknown host names in ${num(floodRun.seconds)} s cost
  ${num(floodRun.ssmReads)} Parameter Store reads (budget ${num(floodRun.budget)}: 100, then 10/s per instance; was one
  read per name) and were answered ${statuses(floodRun.codes)}; the real host's entry survived (negative entries
  have their own set, hits refresh an entry's place): with SSM then throttled it was served ${record(flood.realHostAfterFlood).servedFrom ?? "–"}.
- *Hostile parameters*: ${num(hostileParameters.refusedHeaderNames)} header names the proxy owns (\`Host\`,
  \`Content-Length\`, \`Transfer-Encoding\`, \`Proxy-*\`, …) ignored with a \`parameter ignored\` warning; a lone surrogate
  in a \`queries/\` value ignored (was a 502 \`URIError\` on every request); \`€\` reported as non-ASCII; a broken
  parameter file reported by line and column only; \`__proto__\`/\`constructor\` headers pass as ordinary headers.

**Secrets.** Every suite injects canary values (header, basic user and password, query) and fails if any of
them, their base64 \`user:password\` form or percent-encoding appears in the daemon's or the function's output,
an error body or \`/metrics\`. The one exception is the test upstream's \`/echo\`, which returns the request it
received: that is the API's own answer. The canary suite (\`canary.test.ts\`) runs ${num(canary.scenarios)} scenarios,
one of every other suite (${Object.keys(canaryModes.local ?? {}).length} in local mode,
${Object.keys(canaryModes.lambda ?? {}).length} in Lambda mode: success, 407, 400, upstream, Invoke and SSM
faults, TRACE and URL reflection) and searches ${list(canary.searched).join(", ") || "–"}: ${num(canary.leaks)} leaks.
${END}`;

const readme = readFileSync(README, "utf8");
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from === -1 || to === -1) throw new Error("docs/reliability.md has no reliability section markers");
writeFileSync(README, readme.slice(0, from) + section + readme.slice(to + END.length));
console.log("docs/reliability.md refreshed from", Object.keys(results).join(", "));
