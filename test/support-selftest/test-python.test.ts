/**
 * The tests' Python: an active virtualenv, then the project's .venv/, then the system python3, the first that
 * imports moto.server; none gives one message saying how to create .venv. Real virtualenvs made here with
 * `python3 -m venv` (with the system's site-packages when they should see its moto, without when not).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CREATE_VENV, findTestPython } from "../support/test-python";

const scratch = mkdtempSync(join(tmpdir(), "test-python-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A real virtualenv; `withMoto` lets it see the system's packages (where moto is on this machine). */
function venv(path: string, withMoto: boolean): string {
  mkdirSync(join(path, ".."), { recursive: true });
  execFileSync("python3", [
    "-m",
    "venv",
    "--without-pip",
    ...(withMoto ? ["--system-site-packages"] : []),
    path,
  ]);
  return path;
}

const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH ?? "", HOME: scratch, ...extra });

describe("findTestPython", () => {
  it("prefers the active virtualenv", () => {
    const active = venv(join(scratch, "active"), true);
    const root = join(scratch, "repo-a");
    venv(join(root, ".venv"), true);
    expect(findTestPython(env({ VIRTUAL_ENV: active }), root)).toMatchObject({
      kind: "found",
      source: "virtualenv",
      python: join(active, "bin", "python"),
      binDir: join(active, "bin"),
    });
  });

  it("then the project's .venv/, when the active one has no moto", () => {
    const bare = venv(join(scratch, "bare"), false);
    const root = join(scratch, "repo-b");
    venv(join(root, ".venv"), true);
    expect(findTestPython(env({ VIRTUAL_ENV: bare }), root)).toMatchObject({
      kind: "found",
      source: ".venv",
      python: join(root, ".venv", "bin", "python"),
    });
  });

  it("then the system python3 (which has moto on this machine)", () => {
    expect(findTestPython(env({}), join(scratch, "repo-without-venv"))).toMatchObject({
      kind: "found",
      source: "system",
      python: "python3",
      binDir: "",
    });
  });

  it("with none, one message that says how to create .venv", () => {
    const root = join(scratch, "repo-c");
    venv(join(root, ".venv"), false);
    // A PATH with no python3 on it: only the (moto-less) .venv is left to try.
    const found = findTestPython({ PATH: join(scratch, "empty-bin"), HOME: scratch }, root);
    expect(found.kind).toBe("missing");
    const message = found.kind === "missing" ? found.message : "";
    expect(message).toContain(join(root, ".venv", "bin", "python"));
    expect(message).toContain(CREATE_VENV);
    expect(CREATE_VENV).toBe("python3 -m venv .venv && .venv/bin/pip install 'moto[server]' cfn-lint");
  });
});

describe(".ci/run", () => {
  const root = resolve(import.meta.dirname, "../..");
  /** Runs .ci/run's own find_test_python in `cwd` (its .venv/ is relative to the repository root). */
  const ciChoice = (cwd: string, extra: Record<string, string>): string => {
    const script = `eval "$(sed -n '/^find_test_python()/,/^}/p' "$0")"; find_test_python || echo none`;
    return execFileSync("bash", ["-c", script, join(root, ".ci/run")], {
      cwd,
      env: env(extra),
      encoding: "utf8",
    })
      .trim()
      .replace(/^\.venv\//, `${cwd}/.venv/`);
  };
  it("picks as the tests do: active virtualenv, then .venv/, then python3", () => {
    const active = venv(join(scratch, "ci-active"), true);
    const bare = venv(join(scratch, "ci-bare"), false);
    const withVenv = join(scratch, "ci-repo");
    venv(join(withVenv, ".venv"), true);
    const without = join(scratch, "ci-repo-plain");
    mkdirSync(without, { recursive: true });
    // The same order as findTestPython above: an active virtualenv, then .venv/, then python3.
    expect(ciChoice(withVenv, { VIRTUAL_ENV: active })).toBe(join(active, "bin", "python"));
    expect(ciChoice(withVenv, { VIRTUAL_ENV: bare })).toBe(join(withVenv, ".venv", "bin", "python"));
    expect(ciChoice(without, {})).toBe("python3");
  });
});

describe("npm test without moto", () => {
  const root = resolve(import.meta.dirname, "../..");
  // A developer's own .venv/ would (rightly) be found: then there is nothing to show.
  it.skipIf(existsSync(join(root, ".venv")))(
    "stops before any test with the one message, not a stack",
    () => {
      const bin = join(scratch, "node-only-bin");
      mkdirSync(bin, { recursive: true });
      symlinkSync(process.execPath, join(bin, "node"));
      const run = spawnSync(
        process.execPath,
        [join(root, "node_modules/vitest/vitest.mjs"), "run", "test/unit/host-key.test.ts"],
        { cwd: root, env: { PATH: bin, HOME: scratch }, encoding: "utf8", timeout: 60_000 },
      );
      expect(run.status).toBe(1);
      const output = `${run.stdout}${run.stderr}`;
      expect(output).toContain(`npm test: the tests need moto`);
      expect(output).toContain(CREATE_VENV);
      expect(output).not.toContain("No test files found");
      expect(output).not.toContain("    at ");
    },
  );
});
