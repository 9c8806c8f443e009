/** Parameter naming: `/<prefix>/<host key>/<kind>/<name>`. Pure. */

/** `SSM_SIGN_PROXY_PREFIX` with leading/trailing slashes tolerated: "", "/", "prod", "/prod/" all work. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}

/** The path holding one host's parameters, e.g. `/prod/api.github.com`. */
export function hostPath(normalizedPrefix: string, hostKey: string): string {
  return `${normalizedPrefix}/${hostKey}`;
}
