/**
 * The `ssm-sign-proxy` package as a newcomer gets it: packed with `npm pack`, installed from the tarball into
 * a fresh project. The CLI answers, the embedding API type-checks under `moduleResolution: nodenext` (real
 * declarations, not `any`) and signs a request, and the install stays small. Needs `npm run build`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { REPO_ROOT } from "../support/spawn-with-env";
import {
  type ConsumerProject,
  createConsumerProject,
  type PackedPackage,
  packWorkspace,
  productionTreeKilobytes,
  repoVersion,
} from "./support/consumer-project";

const MAX_INSTALL_MB = 30;
const TOKEN = "consumer-token-5b1e";

const scratch = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-pack-"));
let packed: PackedPackage;
let project: ConsumerProject;
let upstream: HttpsUpstream;

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  packed = await packWorkspace("proxy-daemon", scratch);
  project = await createConsumerProject({
    packages: [packed],
    manifest: { type: "module" },
    devDependencies: {
      typescript: repoVersion("typescript"),
      "@types/node": repoVersion("@types/node"),
      tsx: repoVersion("tsx"),
    },
  });
}, 300_000);

afterAll(async () => {
  project?.remove();
  await upstream?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the ssm-sign-proxy tarball", () => {
  it("holds compiled JavaScript, declarations and the bin, and no TypeScript sources or tests", () => {
    expect(packed.name).toBe("ssm-sign-proxy");
    expect(packed.files).toEqual(
      expect.arrayContaining([
        "package.json",
        "bin/ssm-sign-proxy.mjs",
        "dist/cli.mjs",
        "dist/index.mjs",
        "dist/types/proxy-daemon/index.d.ts",
      ]),
    );
    const sources = packed.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
    expect(sources).toEqual([]);
    expect(packed.files.filter((f) => /(^|\/)test\//.test(f))).toEqual([]);
  });

  it("runs no install scripts at the consumer (no prepare needing a folder the tarball leaves out)", () => {
    const manifest = JSON.parse(
      readFileSync(join(project.dir, "node_modules/ssm-sign-proxy/package.json"), "utf8"),
    ) as { scripts?: Record<string, string> };
    expect(Object.keys(manifest.scripts ?? {})).toEqual([]);
  });

  it("installs with only the daemon's runtime dependencies, in at most 30 MB", {
    timeout: 120_000,
  }, async () => {
    const kilobytes = await productionTreeKilobytes(project);
    console.info(`ssm-sign-proxy installed: ${(kilobytes / 1024).toFixed(1)} MB (du of the production tree)`);
    expect(kilobytes).toBeLessThanOrEqual(MAX_INSTALL_MB * 1024);
    const tree = await project.exec("npm", ["ls", "--omit=dev", "--all", "--parseable"]);
    for (const heavy of ["aws-cdk-lib", "cdk-nag", "constructs", "esbuild", "typescript"]) {
      expect(tree.stdout).not.toContain(`/node_modules/${heavy}\n`);
    }
  });
});

describe("installed into a fresh project", () => {
  it("npx ssm-sign-proxy --help prints the usage; --version the package's version", {
    timeout: 120_000,
  }, async () => {
    const help = await project.exec("npx", ["--no-install", "ssm-sign-proxy", "--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("--local");
    expect(help.stdout).toContain("--function-name");
    const version = await project.exec("npx", ["--no-install", "ssm-sign-proxy", "--version"]);
    expect(version.stdout.trim()).toBe(`ssm-sign-proxy ${packed.version}`);
  });

  it("type-checks a TypeScript file using the embedding API (nodenext), and it signs a request", {
    timeout: 120_000,
  }, async () => {
    project.write(
      "tsconfig.json",
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
        },
        include: ["src"],
      }),
    );
    project.write(
      "src/call-api.ts",
      `import { createSignedFetch, createSigningDispatcher, type SignedFetch, SigningError } from "ssm-sign-proxy";

const signedFetch: SignedFetch = createSignedFetch({ local: process.argv[2] ?? "params.json" });
const response = await signedFetch(\`\${process.argv[3]}/echo/consumer\`);
await response.arrayBuffer();
console.log(JSON.stringify({ status: response.status, signingError: typeof SigningError }));
await signedFetch.close();

// Never called: each line must be a type error, which proves the declarations carry real types.
export function declarationsAreTyped(): void {
  // @ts-expect-error timeoutSeconds is a number
  createSignedFetch({ local: "p.json", timeoutSeconds: "30" });
  // @ts-expect-error close() returns a Promise, not a string
  const closed: string = createSigningDispatcher({ local: "p.json" }).close();
  void closed;
}
`,
    );
    const tsc = await project.exec("npx", ["--no-install", "tsc", "-p", "tsconfig.json"]);
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);

    const params = join(project.dir, "params.json");
    writeFileSync(
      params,
      JSON.stringify({ [`/${upstream.hostKey}/headers/Authorization`]: `Bearer ${TOKEN}` }),
    );
    const ran = await project.exec(
      "npx",
      ["--no-install", "tsx", "src/call-api.ts", params, upstream.origin],
      {
        env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
      },
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout.trim())).toEqual({ status: 200, signingError: "function" });
    // The API received the token from the parameter file (its echo of it comes back redacted).
    const received = upstream.requests.at(-1);
    expect(received?.path).toBe("/echo/consumer");
    expect(received?.headers).toContainEqual(["Authorization", `Bearer ${TOKEN}`]);
  });
});

describe("the repository root", () => {
  it("npx ssm-sign-proxy runs the workspace's daemon (README's quick start)", {
    timeout: 120_000,
  }, async () => {
    const version = await project.exec("npx", ["--no-install", "ssm-sign-proxy", "--version"], {
      cwd: REPO_ROOT,
    });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(`ssm-sign-proxy ${packed.version}`);
  });
});
