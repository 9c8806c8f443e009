/**
 * The names a request may use for the daemon itself, so its own pages (/healthz, /metrics) are served
 * rather than sent on to the signer: fixed loopback names until listening, then the listen address's too.
 */
import { networkInterfaces, hostname as osHostname } from "node:os";
import type { SelfNames } from "../request-target";

/** Before listen() has a port: only loopback names, and no port matches. */
export const unboundSelfNames = (): SelfNames => ({
  hosts: new Set(["localhost", "127.0.0.1", "::1"]),
  port: -1,
});

/** The daemon's names once listening on `host` at `port`. */
export function selfNamesOf(host: string, port: number): SelfNames {
  return {
    hosts: new Set(["localhost", "127.0.0.1", "::1", host.toLowerCase(), ...hostAliases(host)]),
    port,
  };
}

/**
 * Other names of this host: its host name, and, when listening on every interface, every interface address
 * (`curl http://10.0.0.5:8000/healthz` must reach the daemon's page, not be sent on to 10.0.0.5 by the signer).
 */
function hostAliases(listenHost: string): string[] {
  const names = [process.env.HOSTNAME ?? "", osHostname()];
  if (listenHost === "0.0.0.0" || listenHost === "::") {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const info of addresses ?? []) names.push(info.address);
    }
  }
  return names.filter((h) => h !== "").map((h) => h.toLowerCase());
}
