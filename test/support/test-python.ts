/**
 * Which Python runs moto (and cfn-lint) for the tests: an active virtualenv, then the project's `.venv/`, then
 * the system `python3`; the first that can import moto.server wins. A fresh Debian 12 / Ubuntu 24.04 refuses
 * `pip install` into the system Python (externally-managed-environment), so `.venv/` is the documented way.
 * `.ci/run` applies the same order.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Set by the global setup so that worker processes reuse the choice instead of probing again. */
export const TEST_PYTHON_ENV = "SSM_SIGN_PROXY_TEST_PYTHON";

export const CREATE_VENV = "python3 -m venv .venv && .venv/bin/pip install 'moto[server]' cfn-lint";

export type TestPython =
  | { kind: "found"; python: string; source: "virtualenv" | ".venv" | "system"; binDir: string }
  | { kind: "missing"; message: string };

const REPO_ROOT = resolve(import.meta.dirname, "../..");

function importsMoto(python: string, env: NodeJS.ProcessEnv): boolean {
  const probe = spawnSync(python, ["-c", "import moto.server"], { env, stdio: "ignore", timeout: 30_000 });
  return probe.status === 0;
}

export function findTestPython(env: NodeJS.ProcessEnv = process.env, root: string = REPO_ROOT): TestPython {
  const candidates: Array<{ python: string; source: "virtualenv" | ".venv" | "system" }> = [];
  if (env.VIRTUAL_ENV)
    candidates.push({ python: join(env.VIRTUAL_ENV, "bin", "python"), source: "virtualenv" });
  candidates.push({ python: join(root, ".venv", "bin", "python"), source: ".venv" });
  candidates.push({ python: "python3", source: "system" });
  const tried: string[] = [];
  for (const { python, source } of candidates) {
    if (source !== "system" && !existsSync(python)) continue;
    tried.push(python);
    if (!importsMoto(python, env)) continue;
    const binDir = source === "system" ? "" : dirname(python);
    return { kind: "found", python, source, binDir };
  }
  return {
    kind: "missing",
    message: `the tests need moto: none of ${tried.join(", ")} can import moto.server. From the repository root run: ${CREATE_VENV} (npm test finds .venv/ by itself)`,
  };
}

/** The chosen interpreter: from the global setup's choice when there is one, else found now. */
export function testPython(): string {
  const chosen = process.env[TEST_PYTHON_ENV];
  if (chosen) return chosen;
  const found = findTestPython();
  if (found.kind === "missing") throw new Error(found.message);
  return found.python;
}
