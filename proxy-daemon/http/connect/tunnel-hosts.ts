/**
 * `--tunnel HOSTS`: names and `*.suffix` patterns whose CONNECT tunnels are passed through as raw TCP, never
 * decrypted (a job that sets HTTPS_PROXY globally must still reach its package registry).
 */

export interface TunnelHosts {
  /** As given, for the start-up log line. */
  patterns: string[];
  matches(host: string): boolean;
}

export interface TunnelHostsError {
  kind: "tunnel-hosts-error";
  message: string;
}

const NAME = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function parseTunnelHosts(raw: string): TunnelHosts | TunnelHostsError {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const patterns: string[] = [];
  for (const part of raw.split(",")) {
    const pattern = part.trim().toLowerCase().replace(/\.$/, "");
    if (pattern === "") continue;
    if (!NAME.test(pattern)) {
      return {
        kind: "tunnel-hosts-error",
        message: `${JSON.stringify(pattern)} is not a host name or a *.suffix pattern like *.npmjs.org`,
      };
    }
    patterns.push(pattern);
    if (pattern.startsWith("*.")) suffixes.push(pattern.slice(1));
    else exact.add(pattern);
  }
  return {
    patterns,
    matches(host) {
      const name = host.toLowerCase().replace(/\.$/, "");
      return exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
    },
  };
}

export const NO_TUNNEL_HOSTS: TunnelHosts = { patterns: [], matches: () => false };
