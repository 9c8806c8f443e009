/**
 * A fault-injecting HTTP relay to put in front of a real AWS endpoint (moto): it passes requests through until
 * told to misbehave the way AWS does. Faults:
 * - `refuse`: stop listening and drop open connections (ECONNREFUSED, like a VPC with no route to SSM);
 * - `throttle`: 400 `ThrottlingException` in awsJson1.1, as SSM answers when its rate limit is hit;
 * - `deny`: 400 `AccessDeniedException`, as for a role without ssm:GetParametersByPath;
 * - `expire`: 400 `ExpiredTokenException`, but only for the listed access key ids (credentials that expired).
 * - `short-sessions`: passes through, but STS AssumeRole* calls ask for sessions of `seconds` (DurationSeconds
 *   rewritten in the query-protocol form body), so credentials expire within a test. Real STS allows no less
 *   than 900 s; moto issues whatever is asked.
 * The port stays the same across faults, so the client under test never needs reconfiguring.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export type RelayFault =
  | { kind: "pass" }
  | { kind: "refuse" }
  | { kind: "throttle" }
  | { kind: "deny" }
  | { kind: "expire"; accessKeyIds: string[] }
  | { kind: "short-sessions"; seconds: number };

export interface FaultRelay {
  endpoint: string;
  port: number;
  /** Requests that reached the real endpoint behind the relay. */
  readonly passed: number;
  /** Requests the relay answered with a fault. */
  readonly faulted: number;
  setFault(fault: RelayFault): Promise<void>;
  stop(): Promise<void>;
}

const AWS_JSON = "application/x-amz-json-1.1";

function awsError(res: ServerResponse, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(400, {
    "content-type": AWS_JSON,
    "content-length": String(Buffer.byteLength(body)),
    "x-amzn-requestid": "relay-fault",
  });
  res.end(body);
}

/** An STS query-protocol body with DurationSeconds set, when it is an AssumeRole* call; else unchanged. */
function withSessionSeconds(body: Buffer, seconds: number): Buffer {
  const form = new URLSearchParams(body.toString("utf8"));
  if (!/^AssumeRole/.test(form.get("Action") ?? "")) return body;
  form.set("DurationSeconds", String(seconds));
  return Buffer.from(form.toString(), "utf8");
}

function accessKeyOf(req: IncomingMessage): string | undefined {
  return /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
}

export async function startFaultRelay(target: string): Promise<FaultRelay> {
  const upstream = new URL(target);
  let fault: RelayFault = { kind: "pass" };
  let passed = 0;
  let faulted = 0;

  const server: Server = createServer((req, res) => {
    const current = fault;
    if (current.kind === "throttle") {
      faulted++;
      req.resume();
      return awsError(res, "ThrottlingException", "Rate exceeded");
    }
    if (current.kind === "deny") {
      faulted++;
      req.resume();
      return awsError(
        res,
        "AccessDeniedException",
        "User is not authorized to perform: ssm:GetParametersByPath",
      );
    }
    if (current.kind === "expire" && current.accessKeyIds.includes(accessKeyOf(req) ?? "")) {
      faulted++;
      req.resume();
      return awsError(res, "ExpiredTokenException", "The security token included in the request is expired");
    }
    passed++;
    const forward = (headers: IncomingMessage["headers"]) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", () => res.destroy());
      return out;
    };
    if (current.kind !== "short-sessions") {
      req.pipe(forward(req.headers));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = withSessionSeconds(Buffer.concat(chunks), current.seconds);
      forward({ ...req.headers, "content-length": String(body.length) }).end(body);
    });
  });
  server.keepAliveTimeout = 1000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get passed() {
      return passed;
    },
    get faulted() {
      return faulted;
    },
    async setFault(next) {
      const wasRefusing = fault.kind === "refuse";
      fault = next;
      if (next.kind === "refuse" && !wasRefusing) await close();
      if (next.kind !== "refuse" && wasRefusing) await listen(port);
    },
    stop: close,
  };
}
