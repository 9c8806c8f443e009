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

/**
 * Parameter Store refuses names whose first segment begins with `aws` or `ssm` (any case). Without a prefix, a host
 * such as `ssm.example.com` could never have parameters: say so instead of asking SSM.
 */
export function reservedFirstSegment(path: string): string | undefined {
  const first = path.split("/")[1] ?? "";
  return /^(aws|ssm)/i.test(first) ? first : undefined;
}
