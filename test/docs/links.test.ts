/**
 * The documentation holds together: every relative link in README.md, CONTRIBUTING.md, docs/ and the code
 * folders' READMEs points at a file that exists and, with `#anchor`, at a heading that exists (GitHub's slug
 * rules); every backticked path into the code exists; and a newcomer reaches every flag and every refusal code in
 * one click from the README.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REFUSAL_STATUS } from "../../lambda/core/refusal";
import { parseRules } from "../../lambda/signing/signing-rules";
import { USAGE } from "../../proxy-daemon/cli/cli-options";
import { headingAnchors, relativeLinks, repositoryPaths } from "./markdown-links";

const ROOT = resolve(import.meta.dirname, "../..");
const PAGES = [
  "README.md",
  "CONTRIBUTING.md",
  // Each code folder's own README (what lives where).
  ...["lambda", "proxy-daemon", "cdk"]
    .map((dir) => `${dir}/README.md`)
    .filter((p) => existsSync(join(ROOT, p))),
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const CODE_ROOTS = ["lambda", "proxy-daemon", "cdk", "test", "examples", "scripts", "docs"];
const read = (page: string) => readFileSync(join(ROOT, page), "utf8");

describe("markdown helpers follow GitHub", () => {
  it("slugs headings as GitHub does, numbering repeats", () => {
    const anchors = headingAnchors(
      "# Keyless CI (GitHub Actions, CircleCI)\n## The `--local` mode\n## Stop\n## Stop\n```sh\n# not a heading\n```\n",
    );
    expect([...anchors]).toEqual([
      "keyless-ci-github-actions-circleci",
      "the---local-mode",
      "stop",
      "stop-1",
    ]);
  });

  it("finds relative links outside code, not URLs", () => {
    const links = relativeLinks(
      "[a](docs/a.md) [b](https://x.example) `[c](c.md)` [d](#top)\n```\n[e](e.md)\n```\n![f](img/f.png)",
    );
    expect(links.map((l) => l.target)).toEqual(["docs/a.md", "#top", "img/f.png"]);
  });
});

describe.each(PAGES)("%s", (page) => {
  const text = read(page);

  it("has relative links that resolve, anchors included", () => {
    const broken: string[] = [];
    for (const { line, target } of relativeLinks(text)) {
      const [path = "", anchor] = target.split("#");
      const file = path === "" ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURI(path));
      if (!existsSync(file)) {
        broken.push(`${page}:${line} ${target}: no such file ${relative(ROOT, file)}`);
        continue;
      }
      if (anchor === undefined || anchor === "") continue;
      if (statSync(file).isDirectory() || !file.endsWith(".md")) {
        broken.push(`${page}:${line} ${target}: an anchor into a file that is not Markdown`);
      } else if (!headingAnchors(readFileSync(file, "utf8")).has(anchor)) {
        broken.push(`${page}:${line} ${target}: ${relative(ROOT, file)} has no heading #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const missing = repositoryPaths(text, CODE_ROOTS)
      .filter(({ target }) => !existsSync(join(ROOT, target)))
      .map(({ line, target }) => `${page}:${line} ${target}`);
    expect(missing).toEqual([]);
  });
});

describe("two clicks from the README", () => {
  const readmeTargets = relativeLinks(read("README.md")).map((l) => l.target.split("#")[0]);

  it("links the daemon page, whose flag table lists every flag of --help", () => {
    expect(readmeTargets).toContain("docs/daemon.md");
    const daemon = read("docs/daemon.md");
    const flags = [...new Set(USAGE.match(/--[a-z][a-z-]+/g) ?? [])];
    expect(flags.length).toBeGreaterThan(10);
    const tableRows = daemon.split("\n").filter((l) => l.startsWith("| `-"));
    const missing = flags.filter((flag) => !tableRows.some((row) => row.includes(`\`${flag}`)));
    expect(missing).toEqual([]);
  });

  it("links the statuses page, which lists every refusal code", () => {
    expect(readmeTargets).toContain("docs/statuses.md");
    const statuses = read("docs/statuses.md");
    const missing = Object.keys(REFUSAL_STATUS).filter((code) => !statuses.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it("names every parameter kind the function knows in the README's naming table", () => {
    // The kinds as the function itself lists them when it meets one it does not know.
    const [unknown] = parseRules("/h", [{ name: "/h/no-such-kind/x", value: "v" }]).ignored;
    const kinds = (/expected (.*)$/.exec(unknown?.reason ?? "")?.[1] ?? "").split(/, | or /);
    expect(kinds).toEqual(expect.arrayContaining(["headers", "basic", "rewrite", "queries"]));
    const readme = read("README.md");
    expect(kinds.filter((kind) => !readme.includes(`/<prefix>/<host>/${kind}/`))).toEqual([]);
  });
});
