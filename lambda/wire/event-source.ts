/**
 * Who built an event, which decides how its query is read:
 * - `alb`: an Application Load Balancer (`requestContext.elb`); keys and values as the client wrote them.
 * - `daemon`: our daemon (`requestContext.caller`); the same, plus `rawQueryString` with the exact text.
 * - `go-daemon`: the original Go daemon (`requestContext.instance`, neither of the above). It fills the query
 *   fields from Go's `url.Values`, i.e. DECODED keys and values, so they must be encoded again.
 * - `invoke`: anything else (a hand-written Invoke); read like our daemon's.
 */
import type { CallerContext } from "../core/proxy-request";

export type EventSource = "alb" | "daemon" | "go-daemon" | "invoke";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function eventSource(event: Record<string, unknown>): EventSource {
  const context = event.requestContext;
  if (!isRecord(context)) return "invoke";
  if (context.elb !== undefined) return "alb";
  if (isRecord(context.caller)) return "daemon";
  if (isRecord(context.instance)) return "go-daemon";
  return "invoke";
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value.slice(0, 256) : undefined;
}

/** The caller for the audit log: our daemon's `caller`, or the Go daemon's `instance` (mode `go-daemon`). */
export function readCaller(event: Record<string, unknown>, source: EventSource): CallerContext | undefined {
  const context = event.requestContext;
  if (!isRecord(context)) return undefined;
  if (source === "go-daemon" && isRecord(context.instance)) {
    // Marked so the log shows which hosts still run the old daemon during a migration.
    const caller: CallerContext = { mode: "go-daemon" };
    const instanceId = text(context.instance.instance_id);
    const hostname = text(context.instance.hostname);
    if (instanceId) caller.instanceId = instanceId;
    if (hostname) caller.hostname = hostname;
    return caller;
  }
  if (!isRecord(context.caller)) return undefined;
  const caller: CallerContext = {};
  for (const key of ["address", "hostname", "instanceId", "mode"] as const) {
    const v = context.caller[key];
    if (typeof v === "string") caller[key] = v.slice(0, 256);
  }
  return caller;
}
