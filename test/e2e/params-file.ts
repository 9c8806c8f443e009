/** A --local parameter file in a fresh temp directory, readable by its owner only (as tokens should be). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ParamsFile {
  path: string;
  write(params: Record<string, string> | string): void;
  remove(): void;
}

export function paramsFile(initial: Record<string, string> | string): ParamsFile {
  const dir = mkdtempSync(join(tmpdir(), "sign-proxy-params-"));
  const path = join(dir, "params.json");
  const write = (params: Record<string, string> | string) =>
    writeFileSync(path, typeof params === "string" ? params : JSON.stringify(params, null, 2), {
      mode: 0o600,
    });
  write(initial);
  return { path, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
