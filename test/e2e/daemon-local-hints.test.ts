/**
 * --local, the stumbles of a first parameter file, through the built daemon and curl: a typo'd kind and a file
 * written for a prefix the daemon was not given each get a 407 that names the fix, and a file every local user
 * can read gets a warning at start.
 */
import { chmodSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { curl } from "./clients";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const VALUE = "hint-test-value-9b2e";
let upstream: HttpsUpstream;
const started: DaemonProcess[] = [];
const files: ParamsFile[] = [];

beforeAll(async () => {
  upstream = await startHttpsUpstream();
});

afterAll(async () => {
  await Promise.all(started.map((d) => d.stop()));
  for (const f of files) f.remove();
  await upstream?.stop();
});

async function daemonWith(params: Record<string, string>, extra: string[] = [], mode?: number) {
  const file = paramsFile(params);
  files.push(file);
  if (mode !== undefined) chmodSync(file.path, mode);
  const daemon = await startDaemonProcess({
    args: ["--local", file.path, ...extra],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
  started.push(daemon);
  return { daemon, file };
}

describe("--local: a 407 that says what is wrong with the file", () => {
  it("a typo'd kind (header/ for headers/) is named in the 407, without its value", async () => {
    const { daemon } = await daemonWith({ [`/${upstream.hostKey}/header/X-Api-Key`]: VALUE });
    const answer = await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`);
    expect(answer.status).toBe(407);
    expect(answer.body).toContain(`ignored /${upstream.hostKey}/header/X-Api-Key (unknown kind`);
    expect(answer.body).not.toContain(VALUE);
  });

  it("names written under a prefix the daemon was not given: the 407 says which --prefix", async () => {
    const { daemon, file } = await daemonWith({ [`/test/${upstream.hostKey}/headers/X-Api-Key`]: VALUE });
    const answer = await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`);
    expect(answer.status).toBe(407);
    expect(answer.body).toContain(`${file.path} has /test/${upstream.hostKey}/headers/X-Api-Key`);
    expect(answer.body).toContain("--prefix /test");
    expect(answer.body).not.toContain(VALUE);
  });
});

describe("--local: file permissions", () => {
  it("warns at start when every user on the host can read the parameter file", async () => {
    const { daemon, file } = await daemonWith({ [`/${upstream.hostKey}/headers/A`]: VALUE }, [], 0o644);
    const warning = await daemon.waitForLog((l) => String(l.msg).includes("readable by every user"));
    expect(warning).toMatchObject({ level: 40, file: file.path, mode: "644" });
    expect(String(warning.msg)).toContain(`chmod 600 ${file.path}`);
  });

  it("says nothing about a file only its owner can read", async () => {
    const { daemon } = await daemonWith({ [`/${upstream.hostKey}/headers/A`]: VALUE }, [], 0o600);
    await daemon.waitForLog((l) => String(l.msg).startsWith("listening on"));
    expect(daemon.logs.some((l) => String(l.msg).includes("readable by every user"))).toBe(false);
  });
});
