/**
 * The deployed host list (`hosts`): the function may read only these hosts' parameter folders, and answers 407
 * for any other host before asking Parameter Store (`SSM_SIGN_PROXY_HOSTS`). Required with an empty prefix,
 * where the hierarchy grant would otherwise be `parameter/*`, every parameter of the account.
 *
 * Written here, not imported from lambda/: cdk/ does not import runtime code. Both sides derive the same key.
 */
import { ParameterPrefixError } from "./parameter-prefix";

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `api.github.com`, `API.GitHub.com.`, `example.com:8443` or `example.com_8443` -> the folder name under the
 * prefix (`api.github.com`, `example.com_8443`; port 443 is the default and not written).
 */
export function deployedHostKey(entry: string): string {
  const trimmed = entry.trim().toLowerCase();
  const m = /^([^:_]+)(?:[:_]([0-9]{1,5}))?$/.exec(trimmed);
  const name = m?.[1]?.replace(/\.$/, "") ?? "";
  const port = m?.[2] === undefined ? 443 : Number(m[2]);
  const valid =
    m !== null &&
    name.length > 0 &&
    name.length <= 253 &&
    name.split(".").every((label) => LABEL.test(label)) &&
    Number.isInteger(port) &&
    port >= 1 &&
    port <= 65535 &&
    !(m[2] ?? "").startsWith("0");
  if (!valid) {
    throw new ParameterPrefixError(
      `hosts entry '${entry}' is not a host name with an optional port; e.g. hosts=api.github.com,example.com:8443`,
    );
  }
  return port === 443 ? name : `${name}_${port}`;
}

/** Keys of the listed hosts, deduplicated, in the order given. An empty prefix also refuses hosts starting with aws or ssm. */
export function deployedHostKeys(hosts: readonly string[], prefix: string): string[] {
  if (hosts.length === 0) {
    throw new ParameterPrefixError("hosts lists nothing; e.g. hosts=api.github.com,hooks.slack.com");
  }
  const keys = [...new Set(hosts.map(deployedHostKey))];
  if (prefix === "") {
    const reserved = keys.filter((key) => /^(aws|ssm)/.test(key));
    if (reserved.length > 0) {
      throw new ParameterPrefixError(
        `with an empty prefix, ${reserved.join(", ")} cannot have parameters: Parameter Store reserves names starting with 'aws' or 'ssm'; pass a prefix (prefix=sign-proxy)`,
      );
    }
  }
  return keys;
}
