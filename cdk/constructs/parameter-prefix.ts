/** Thrown at synth time for a parameter prefix that Parameter Store or least privilege cannot accept. */
export class ParameterPrefixError extends Error {
  override readonly name = "ParameterPrefixError";
}

const NAME = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/**
 * Normalizes `prefix`, `/prefix` or `/prefix/` to `prefix` (and `""`, `/` to the empty prefix) and refuses what
 * would break: an empty prefix without a host list would grant the function every parameter in the account, and
 * SSM reserves names starting with aws/ssm.
 */
export function normalizeParameterPrefix(prefix: string, hasHostList = false): string {
  const trimmed = prefix.trim().replace(/^\/+|\/+$/g, "");
  if (trimmed === "") {
    if (hasHostList) return "";
    throw new ParameterPrefixError(
      "prefix is empty; the function would be granted every parameter in the account. Pass a prefix (prefix=sign-proxy) or the hosts it signs for (hosts=api.github.com,hooks.slack.com).",
    );
  }
  if (!NAME.test(trimmed)) {
    throw new ParameterPrefixError(
      `prefix '${prefix}' may contain only letters, digits, '_', '.', '-' and '/' between names; e.g. prefix=sign-proxy.`,
    );
  }
  if (/^(aws|ssm)/i.test(trimmed)) {
    throw new ParameterPrefixError(
      `prefix '${prefix}' starts with '${trimmed.slice(0, 3)}', which Parameter Store reserves; pick another, e.g. prefix=sign-proxy.`,
    );
  }
  return trimmed;
}
