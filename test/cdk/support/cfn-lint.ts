import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether the cfn-lint binary is on PATH (tests skip, saying so, when it is not). */
export const cfnLintAvailable = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" }).status === 0;

export interface CfnLintResult {
  readonly exitCode: number | null;
  readonly output: string;
}

/** Runs cfn-lint once over all templates, each written to a fresh temporary directory. */
export function cfnLint(templates: Readonly<Record<string, unknown>>): CfnLintResult {
  const directory = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-cfn-lint-"));
  try {
    const files = Object.entries(templates).map(([name, template]) => {
      const file = join(directory, `${name}.template.json`);
      writeFileSync(file, JSON.stringify(template, null, 1));
      return file;
    });
    const result = spawnSync("cfn-lint", ["--format", "parseable", "--", ...files], { encoding: "utf8" });
    return { exitCode: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
