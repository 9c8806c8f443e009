import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  LocalParameterFile,
  ParameterFileError,
  parseParameterFile,
} from "../../proxy-daemon/invoke/local/local-parameter-file";

const dirs: string[] = [];
const opened: LocalParameterFile[] = [];
afterEach(() => {
  for (const f of opened.splice(0)) f.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileWith(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "param-file-test-"));
  dirs.push(dir);
  const path = join(dir, "params.json");
  // Owner-only, as a file of tokens should be (a world-readable one gets a warning of its own).
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function open(path: string, warnings: Array<Record<string, unknown>> = []) {
  const file = await LocalParameterFile.open(path, (fields, msg) => warnings.push({ ...fields, msg }));
  opened.push(file);
  return file;
}

describe("parseParameterFile", () => {
  it.each([
    ["[]", /expected a JSON object/],
    ['{"api.github.com/headers/A": "v"}', /must start with "\/"/],
    ['{"/h/headers/A": 42}', /value of "\/h\/headers\/A" must be a string/],
    ["{not json", /not valid JSON/],
  ])("refuses %s naming the problem", (text, message) => {
    expect(parseParameterFile(text)).toMatch(message);
  });

  it("never puts a value in an error message", () => {
    expect(parseParameterFile('{"/h/headers/A": "s3cret", "/h/x": ["s3cret"]}')).not.toContain("s3cret");
  });
});

describe("LocalParameterFile", () => {
  it("lists everything under path + '/', recursively, like SSM GetParametersByPath", async () => {
    const file = await open(
      fileWith(
        JSON.stringify({
          "/api.github.com/headers/Authorization": "t",
          "/api.github.com/basic/username": "u",
          "/api.github.company/headers/X": "no",
          "/other/x": "no",
        }),
      ),
    );
    const names = (await file.getParametersByPath("/api.github.com")).map((p) => p.name).sort();
    expect(names).toEqual(["/api.github.com/basic/username", "/api.github.com/headers/Authorization"]);
    expect(await file.getParametersByPath("/absent")).toEqual([]);
  });

  it("refuses to start from a missing or broken file", async () => {
    await expect(open("/nonexistent/params.json")).rejects.toThrow(ParameterFileError);
    await expect(open(fileWith("{"))).rejects.toThrow(/not valid JSON/);
  });

  it("sees an edit as soon as the watcher reports it, and keeps the last good contents after a broken edit", async () => {
    const path = fileWith('{"/h/headers/A": "one"}');
    const warnings: Array<Record<string, unknown>> = [];
    const file = await open(path, warnings);
    const values = async () => (await file.getParametersByPath("/h")).map((p) => p.value).sort();
    writeFileSync(path, '{"/h/headers/A": "two", "/h/headers/B": "three"}');
    // Within the watcher's delivery time, well under the 1 s fallback re-check.
    await vi.waitFor(async () => expect(await values()).toEqual(["three", "two"]), {
      timeout: 900,
      interval: 20,
    });

    writeFileSync(path, '{"/h/headers/A": "secret-in-broken-edit"');
    await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 900, interval: 20 });
    expect(await values()).toEqual(["three", "two"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: path, error: expect.stringMatching(/JSON/) });
    expect(JSON.stringify(warnings)).not.toContain("secret-in-broken-edit");
  });
});
