/**
 * The token sources a host can have besides static `headers/…`: `basic/…` (static), and two kinds whose token
 * the function mints itself, `github-app/…` (GitHub App installation tokens) and `oauth2/…` (RFC 6749 §4.4
 * client credentials). Pure: parameters in, one validated source (or named problems) out.
 *
 * A host uses at most one token source. When several are configured the precedence is
 * github-app > oauth2 > basic, and every losing parameter is reported as ignored, naming the conflict.
 */
import { createHash, createPrivateKey } from "node:crypto";
import type { IgnoredParameter } from "./signing-rules";
import type {
  GitHubAppSource,
  MintedKind,
  MintedTokenSource,
  OAuth2AuthMethod,
  OAuth2Source,
} from "./token-source-types";

/** Collects `github-app/<name>` and `oauth2/<name>` values while the parameters are walked. */
export interface TokenSourceParameters {
  "github-app": Map<string, { name: string; value: string }>;
  oauth2: Map<string, { name: string; value: string }>;
}

export function emptyTokenSourceParameters(): TokenSourceParameters {
  return { "github-app": new Map(), oauth2: new Map() };
}

const GITHUB_APP_NAMES = [
  "app-id",
  "private-key",
  "installation-id",
  "repositories",
  "permissions",
  "api-url",
];
const OAUTH2_NAMES = ["token-url", "client-id", "client-secret", "scope", "audience", "auth-method"];

/** Records one parameter of a minted kind; returns the reason when the name is not one of the kind's. */
export function collectTokenParameter(
  collected: TokenSourceParameters,
  kind: MintedKind,
  rest: string,
  name: string,
  value: string,
): string | undefined {
  const known = kind === "github-app" ? GITHUB_APP_NAMES : OAUTH2_NAMES;
  if (!known.includes(rest)) return `expected ${kind}/${known.join(`, ${kind}/`)}`;
  collected[kind].set(rest, { name, value });
  return undefined;
}

function httpsUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:")
    return "must be an https:// URL (a token endpoint is never dialled in clear)";
  if (url.username !== "" || url.password !== "") return "must not contain user:password@";
  if (url.hash !== "") return "must not contain a #fragment";
  return url;
}

function defaultApiUrl(authority: string): URL {
  return new URL(authority === "api.github.com" ? "https://api.github.com" : `https://${authority}/api/v3`);
}

type Values = Map<string, { name: string; value: string }>;

function fingerprint(values: Values): string {
  const hash = createHash("sha256");
  for (const [key, { value }] of [...values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
    hash.update(`${key}\0${value}\0`);
  return hash.digest("hex");
}

function missing(values: Values, hostPath: string, kind: MintedKind, required: string[]): IgnoredParameter[] {
  const absent = required.filter((r) => !values.has(r));
  if (absent.length === 0) return [];
  return [...values.values()].map(({ name }) => ({
    name,
    reason: `${kind} is incomplete: ${absent.map((a) => `${hostPath}/${kind}/${a}`).join(", ")} missing`,
  }));
}

function gitHubApp(
  values: Values,
  hostPath: string,
  authority: string,
  ignored: IgnoredParameter[],
): GitHubAppSource | undefined {
  const problems = missing(values, hostPath, "github-app", ["app-id", "private-key", "installation-id"]);
  if (problems.length > 0) {
    ignored.push(...problems);
    return undefined;
  }
  const at = (n: string) => values.get(n) as { name: string; value: string };
  const appId = at("app-id").value.trim();
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(appId)) {
    ignored.push({ name: at("app-id").name, reason: "expected the App ID (digits) or its Client ID (Iv…)" });
    return undefined;
  }
  const installationId = at("installation-id").value.trim();
  if (!/^[0-9]{1,20}$/.test(installationId)) {
    ignored.push({ name: at("installation-id").name, reason: "expected the installation's numeric id" });
    return undefined;
  }
  let apiUrl = defaultApiUrl(authority);
  const api = values.get("api-url");
  if (api) {
    const url = httpsUrl(api.value);
    if (typeof url === "string") {
      ignored.push({ name: api.name, reason: url });
      return undefined;
    }
    apiUrl = url;
  }
  const source: GitHubAppSource = {
    kind: "github-app",
    fingerprint: fingerprint(values),
    appId,
    installationId,
    apiUrl,
    privateKey: undefined,
  };
  const repos = values.get("repositories");
  if (repos) {
    const names = repos.value
      .split(",")
      .map((r) => r.trim())
      .filter((r) => r !== "");
    if (names.length === 0 || names.some((r) => !/^[A-Za-z0-9._-]{1,100}$/.test(r))) {
      ignored.push({ name: repos.name, reason: "expected comma-separated repository names (no owner/)" });
      return undefined;
    }
    source.repositories = names;
  }
  const perms = values.get("permissions");
  if (perms) {
    const parsed = permissions(perms.value);
    if (parsed === undefined) {
      ignored.push({ name: perms.name, reason: 'expected a JSON object such as {"contents":"read"}' });
      return undefined;
    }
    source.permissions = parsed;
  }
  const key = at("private-key");
  try {
    source.privateKey = createPrivateKey(key.value);
    if (source.privateKey.asymmetricKeyType !== "rsa") throw new Error("not RSA");
  } catch {
    // The PEM's contents never go into the reason: only the parameter's name and what to do.
    source.privateKey = undefined;
    source.keyProblem = `${key.name} is not an RSA private key in PEM form: store the .pem file the App's settings page downloads`;
  }
  return source;
}

function permissions(raw: string): Record<string, string> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const entries = Object.entries(parsed);
    if (entries.some(([, v]) => typeof v !== "string")) return undefined;
    return Object.fromEntries(entries) as Record<string, string>;
  } catch {
    return undefined;
  }
}

function oauth2(values: Values, hostPath: string, ignored: IgnoredParameter[]): OAuth2Source | undefined {
  const problems = missing(values, hostPath, "oauth2", ["token-url", "client-id", "client-secret"]);
  if (problems.length > 0) {
    ignored.push(...problems);
    return undefined;
  }
  const at = (n: string) => values.get(n) as { name: string; value: string };
  const tokenUrl = httpsUrl(at("token-url").value);
  if (typeof tokenUrl === "string") {
    ignored.push({ name: at("token-url").name, reason: tokenUrl });
    return undefined;
  }
  const method = values.get("auth-method");
  const authMethod = (method?.value.trim() ?? "client_secret_basic") as OAuth2AuthMethod;
  if (authMethod !== "client_secret_basic" && authMethod !== "client_secret_post") {
    ignored.push({
      name: method?.name ?? `${hostPath}/oauth2/auth-method`,
      reason: "expected client_secret_basic or client_secret_post",
    });
    return undefined;
  }
  const source: OAuth2Source = {
    kind: "oauth2",
    fingerprint: fingerprint(values),
    tokenUrl,
    clientId: at("client-id").value,
    clientSecret: at("client-secret").value,
    authMethod,
  };
  const scope = values.get("scope")?.value.trim();
  if (scope) source.scope = scope;
  const audience = values.get("audience")?.value.trim();
  if (audience) source.audience = audience;
  return source;
}

/**
 * The one minted source a host gets, after the precedence (github-app > oauth2 > basic). `hasBasic` says
 * whether complete basic/… credentials exist; the result says whether they lose to a minted source.
 */
export function resolveTokenSource(
  collected: TokenSourceParameters,
  hostPath: string,
  authority: string,
  hasBasic: boolean,
  basicNames: string[],
): { source?: MintedTokenSource; basicLoses: boolean; ignored: IgnoredParameter[] } {
  const ignored: IgnoredParameter[] = [];
  const app =
    collected["github-app"].size > 0
      ? gitHubApp(collected["github-app"], hostPath, authority, ignored)
      : undefined;
  const client = collected.oauth2.size > 0 ? oauth2(collected.oauth2, hostPath, ignored) : undefined;
  const source = app ?? client;
  if (app && collected.oauth2.size > 0) {
    for (const { name } of collected.oauth2.values())
      ignored.push({
        name,
        reason: "conflicts with github-app/…: a host uses one token source and github-app wins",
      });
  }
  if (source && hasBasic) {
    for (const name of basicNames)
      ignored.push({
        name,
        reason: `conflicts with ${source.kind}/…: a host uses one token source and ${source.kind} wins`,
      });
  }
  return source ? { source, basicLoses: hasBasic, ignored } : { basicLoses: false, ignored };
}
