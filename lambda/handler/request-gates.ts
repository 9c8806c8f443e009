/**
 * The signing core's (core.ts) first step: refusals decided from the request alone, before any Parameter Store
 * read (a refused method, an ALB health check, a host outside the deployed list, a host name Parameter Store
 * cannot hold). Kept apart from core.ts so the core reads as its steps; new cheap checks of this kind go here.
 */
import { type HostList, hostListRefusal } from "../core/host-list";
import { refusedMethod } from "../core/method-policy";
import type { SignRequest } from "../core/proxy-request";
import { type Refusal, refuse } from "../core/refusal";
import { reservedFirstSegment } from "../parameters/parameter-path";
import type { RequestLogLine } from "./request-log";

function isHealthCheck(request: SignRequest): boolean {
  for (const [name, value] of request.headers) {
    if (value.startsWith("ELB-HealthChecker/") && name.toLowerCase() === "user-agent") return true;
  }
  return false;
}

/** The refusal that answers `request` without a read (`path`: the host's parameter path), or undefined. */
export function gateRefusal(
  request: SignRequest,
  hosts: HostList | undefined,
  path: string,
  line: RequestLogLine,
): Refusal | undefined {
  const { host } = request;
  const methodRefused = refusedMethod(request.method);
  if (methodRefused) return methodRefused;
  // ALB health checks (if a target group enables them) get a cheap answer without touching SSM.
  if (isHealthCheck(request)) return refuse("health-ok", "ok");
  const notDeployed = hostListRefusal(hosts, host);
  if (notDeployed) {
    line.level = "warn";
    line.error = notDeployed.message;
    return notDeployed;
  }
  if (reservedFirstSegment(path) !== undefined) {
    return refuse(
      "reserved-host-name",
      `no parameters can exist for host ${host.authority}: Parameter Store names cannot begin with "aws" or "ssm" ` +
        `(${path}); set SSM_SIGN_PROXY_PREFIX (e.g. /prod) and store them under /prod/${host.key}/`,
    );
  }
  return undefined;
}
