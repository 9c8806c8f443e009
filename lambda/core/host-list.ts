/**
 * The deployed host list (`SSM_SIGN_PROXY_HOSTS`): when the stack grants the function only some hosts'
 * parameter folders (an empty prefix, or a prefix narrowed with `hosts=`), any other host is refused here,
 * before Parameter Store is asked (it would only answer AccessDenied, at the cost of a call).
 */
import { isHostError, parseHost, type UpstreamHost } from "./host-key";
import { type Refusal, refuse } from "./refusal";

/** Host keys (`api.github.com`, `example.com_8443`). Entries may be written `host`, `host:port` or `host_port`. */
export type HostList = ReadonlySet<string>;

/**
 * `api.github.com,example.com:8443` -> its keys; undefined when the variable is unset or blank (no list).
 * An entry that is not a host name matches nothing: the list fails closed.
 */
export function parseHostList(raw: string | undefined): HostList | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const keys = new Set<string>();
  for (const entry of raw.split(",")) {
    const key = hostListKey(entry);
    if (key !== undefined) keys.add(key);
  }
  return keys;
}

/** One entry's key, or undefined when it is not a host name (with an optional port). */
export function hostListKey(entry: string): string | undefined {
  const trimmed = entry.trim();
  // `host_port` is the Parameter Store spelling of `host:port` (host names never contain `_`).
  const underscore = /^([^_:]+)_([0-9]{1,5})$/.exec(trimmed);
  const host = parseHost(underscore ? `${underscore[1]}:${underscore[2]}` : trimmed);
  return isHostError(host) ? undefined : host.key;
}

export function hostListRefusal(list: HostList | undefined, host: UpstreamHost): Refusal | undefined {
  if (list === undefined || list.has(host.key)) return undefined;
  return refuse(
    "host-not-deployed",
    `host ${host.authority} is not in the deployed host list (SSM_SIGN_PROXY_HOSTS): add ${host.key} to the stack's hosts= and deploy again`,
  );
}
