/**
 * --local FILE as a ParameterSource: a JSON object of full parameter names to values.
 *
 * Re-read when it changes: fs.watch makes edits show up promptly, and an mtime/size check on every lookup
 * catches what watchers miss (editors that replace the file, network file systems). A broken edit keeps the
 * last good contents and logs a warning naming the file and the JSON error, never the values.
 */
import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Parameter, ParameterSource } from "../../../lambda/parameters/parameter-source";

export type WarnFn = (fields: Record<string, unknown>, message: string) => void;

export class ParameterFileError extends Error {
  override readonly name = "ParameterFileError";
}

interface Snapshot {
  mtimeMs: number;
  size: number;
  mode: number;
  params: Map<string, string>;
}

/** Validates the file's JSON shape. Error messages name keys, never values. */
export function parseParameterFile(text: string): Map<string, string> | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return 'expected a JSON object of parameter names to values, e.g. {"/api.github.com/headers/Authorization": "token ..."}';
  }
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(data)) {
    if (!name.startsWith("/")) return `parameter name ${JSON.stringify(name)} must start with "/"`;
    if (typeof value !== "string") return `the value of ${JSON.stringify(name)} must be a string`;
    params.set(name, value);
  }
  return params;
}

/** How stale the fallback mtime check may be while a watcher is active. */
const RECHECK_MS = 1_000;

export class LocalParameterFile implements ParameterSource {
  readonly path: string;
  private current: Snapshot | undefined;
  private watcher: FSWatcher | undefined;
  private reloading: Promise<void> | undefined;
  private lastCheck = 0;

  private constructor(
    path: string,
    private readonly warn: WarnFn,
  ) {
    this.path = resolve(path);
  }

  /** Reads the file once; a missing or broken file at start-up is an error (nothing good to fall back on). */
  static async open(path: string, warn: WarnFn): Promise<LocalParameterFile> {
    const file = new LocalParameterFile(path, warn);
    const first = await file.read();
    if (typeof first === "string") throw new ParameterFileError(`parameter file ${file.path}: ${first}`);
    file.current = first;
    // Tokens in a file any local user can read are everyone's tokens.
    if ((first.mode & 0o004) !== 0) {
      warn(
        { file: file.path, mode: (first.mode & 0o777).toString(8) },
        `the parameter file is readable by every user on this host: chmod 600 ${file.path}`,
      );
    }
    file.startWatching();
    return file;
  }

  /** The names in the current contents (for hints; never the values). */
  names(): string[] {
    return [...(this.current?.params.keys() ?? [])];
  }

  /** How many parameters the current contents hold (for the start-up log line). */
  get size(): number {
    return this.current?.params.size ?? 0;
  }

  private async read(): Promise<Snapshot | string> {
    try {
      const info = await stat(this.path);
      const text = await readFile(this.path, "utf8");
      const params = parseParameterFile(text);
      if (typeof params === "string") return params;
      return { mtimeMs: info.mtimeMs, size: info.size, mode: info.mode, params };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === "ENOENT" ? "file not found" : `cannot read: ${(err as Error).message}`;
    }
  }

  /** Watches the directory, not the file: editors often replace the file, which ends a file watch. */
  private startWatching(): void {
    try {
      const name = basename(this.path);
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) {
          this.lastCheck = Date.now();
          void this.reloadIfChanged();
        }
      });
      this.watcher.on("error", () => this.watcher?.close());
    } catch {
      // No watcher (e.g. inotify limit reached): the per-lookup mtime check still picks up changes.
    }
  }

  private reloadIfChanged(): Promise<void> {
    this.reloading ??= this.doReload().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    let info: { mtimeMs: number; size: number };
    try {
      info = await stat(this.path);
    } catch (err) {
      this.warn(
        { file: this.path, error: (err as Error).message },
        "parameter file unreadable; keeping the last good contents",
      );
      return;
    }
    if (this.current && info.mtimeMs === this.current.mtimeMs && info.size === this.current.size) return;
    const next = await this.read();
    if (typeof next === "string") {
      // Remember the broken version's mtime so the warning is logged once per edit, not on every request.
      if (this.current) this.current = { ...this.current, mtimeMs: info.mtimeMs, size: info.size };
      this.warn({ file: this.path, error: next }, "parameter file is broken; keeping the last good contents");
      return;
    }
    this.current = next;
  }

  async getParametersByPath(path: string): Promise<Parameter[]> {
    // The watcher reports edits as they happen; the mtime check is the fallback for what it misses, and a stat
    // per request would be a syscall on every proxied request, so it runs at most once per RECHECK_MS.
    const now = Date.now();
    if (this.reloading || !this.watcher || now - this.lastCheck >= RECHECK_MS) {
      this.lastCheck = now;
      await this.reloadIfChanged();
    }
    const under = path.endsWith("/") ? path : `${path}/`;
    const found: Parameter[] = [];
    for (const [name, value] of this.current?.params ?? []) {
      if (name.startsWith(under)) found.push({ name, value });
    }
    return found;
  }

  close(): void {
    this.watcher?.close();
  }
}
