/**
 * A newcomer's project: the workspace package packed with `npm pack` (as a release attaches it) and installed
 * from the tarball into a fresh temporary folder, next to whatever else the test lists. Other packages come
 * at the versions this repository's lock file installed, so `--prefer-offline` finds them in the npm cache.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../support/spawn-with-env";

const run = promisify(execFile);

export type Workspace = "proxy-daemon" | "cdk";

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
  /** Paths inside the tarball, without the leading `package/`. */
  readonly files: readonly string[];
}

interface NpmPackResult {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

/** `npm pack` of one workspace into `destination`, as the release workflow runs it (after `npm run build`). */
export async function packWorkspace(workspace: Workspace, destination: string): Promise<PackedPackage> {
  const { stdout } = await run(
    "npm",
    ["pack", "--workspace", workspace, "--pack-destination", destination, "--json", "--ignore-scripts"],
    { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const [result] = JSON.parse(stdout) as NpmPackResult[];
  if (!result) throw new Error(`npm pack --workspace ${workspace} printed no result`);
  return {
    name: result.name,
    version: result.version,
    tarball: join(destination, result.filename),
    files: result.files.map((f) => f.path),
  };
}

/** The version of `name` this repository installed (so the consumer's install is a cache hit). */
export function repoVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8"));
  return manifest.version as string;
}

export interface ConsumerProject {
  readonly dir: string;
  /** Writes `content` to `relativePath` inside the project. */
  write(relativePath: string, content: string): string;
  /** Runs a command in the project (or a subfolder, or an absolute folder) with this process's environment plus `env`. */
  exec(
    command: string,
    args: readonly string[],
    opts?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

export interface ConsumerSpec {
  readonly packages: readonly PackedPackage[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  /** package.json fields such as `type`. */
  readonly manifest?: Readonly<Record<string, unknown>>;
}

/** Creates the project and runs one `npm install` for everything in it. */
export async function createConsumerProject(spec: ConsumerSpec): Promise<ConsumerProject> {
  const dir = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-consumer-"));
  const dependencies: Record<string, string> = { ...spec.dependencies };
  for (const pkg of spec.packages) dependencies[pkg.name] = `file:${pkg.tarball}`;
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: "consumer",
        version: "1.0.0",
        private: true,
        ...spec.manifest,
        dependencies,
        devDependencies: spec.devDependencies ?? {},
      },
      null,
      2,
    ),
  );
  const project: ConsumerProject = {
    dir,
    write(relativePath, content) {
      const path = join(dir, relativePath);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    async exec(command, args, opts = {}) {
      try {
        const { stdout, stderr } = await run(command, [...args], {
          cwd: opts.cwd ? (isAbsolute(opts.cwd) ? opts.cwd : join(dir, opts.cwd)) : dir,
          env: { ...process.env, ...opts.env },
          timeout: opts.timeoutMs ?? 120_000,
          maxBuffer: 16 * 1024 * 1024,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: number | string; stdout?: string; stderr?: string };
        if (typeof failed.code !== "number") throw error;
        return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  const install = await project.exec(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
    { timeoutMs: 240_000 },
  );
  if (install.code !== 0) {
    project.remove();
    throw new Error(`npm install in the consumer project failed:\n${install.stderr}`);
  }
  return project;
}

/** Kilobytes on disk of the production dependency tree (what `npm install <package>` alone would bring). */
export async function productionTreeKilobytes(project: ConsumerProject): Promise<number> {
  const listed = await project.exec("npm", ["ls", "--omit=dev", "--all", "--parseable"]);
  const paths = listed.stdout
    .split("\n")
    .filter((line) => line.includes(`${join("node_modules", "")}`))
    .map((line) => line.trim());
  // One du over every path counts each directory once, however the tree nests.
  const du = await project.exec("du", ["-sck", ...paths]);
  const total = /^(\d+)\s+total$/m.exec(du.stdout);
  if (!total) throw new Error(`du printed no total:\n${du.stdout}${du.stderr}`);
  return Number(total[1]);
}
