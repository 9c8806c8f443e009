/**
 * `ssm-sign-proxy env`: what a shell or CI job needs to send every client through the daemon, with https://
 * URLs unmodified: the proxy variables (both spellings, as tools disagree on case), loopback in no_proxy (the
 * daemon's own pages), Node's opt-in to proxy variables, and the trust bundle for the intercepting CA.
 * Usage: `eval "$(npx ssm-sign-proxy env)"`, or `--shell github >> "$GITHUB_ENV"`.
 */
import { parseListenAddress } from "./listen-address";

export type ShellKind = "sh" | "fish" | "github";
export const SHELLS: readonly ShellKind[] = ["sh", "fish", "github"];

export interface EnvSettings {
  /** host:port the daemon listens on. */
  address: string;
  caCertPath: string;
  bundlePath: string;
}

export function proxyVariables(settings: EnvSettings): Array<[string, string]> | { message: string } {
  const address = parseListenAddress(settings.address);
  if ("kind" in address) return { message: `--address: ${address.message}` };
  // A daemon listening on every interface is reached over loopback from the same host.
  const host =
    address.host === "0.0.0.0" || address.host === ""
      ? "127.0.0.1"
      : address.host === "::"
        ? "::1"
        : address.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  const noProxy = "localhost,127.0.0.1,::1";
  return [
    ["http_proxy", url],
    ["HTTP_PROXY", url],
    ["https_proxy", url],
    ["HTTPS_PROXY", url],
    ["no_proxy", noProxy],
    ["NO_PROXY", noProxy],
    ["NODE_USE_ENV_PROXY", "1"],
    // Added to Node's roots, so our CA alone is right here.
    ["NODE_EXTRA_CA_CERTS", settings.caCertPath],
    // These replace the tool's roots: they get the combined bundle.
    ["SSL_CERT_FILE", settings.bundlePath],
    ["REQUESTS_CA_BUNDLE", settings.bundlePath],
    ["CURL_CA_BUNDLE", settings.bundlePath],
    ["GIT_SSL_CAINFO", settings.bundlePath],
  ];
}

const singleQuoted = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
/** fish's single quotes take \\ and \' as escapes. */
const fishQuoted = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;

export function formatVariables(variables: Array<[string, string]>, shell: ShellKind): string {
  const lines = variables.map(([name, value]) => {
    switch (shell) {
      case "sh":
        return `export ${name}=${singleQuoted(value)}`;
      case "fish":
        return `set -gx ${name} ${fishQuoted(value)}`;
      default:
        // $GITHUB_ENV takes NAME=value lines; our values never contain a newline.
        return `${name}=${value}`;
    }
  });
  return `${lines.join("\n")}\n`;
}
