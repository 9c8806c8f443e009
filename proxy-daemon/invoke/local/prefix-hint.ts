/**
 * --local only: why a host has no parameters when the file does hold some for it. The usual cause is a file
 * written for a prefix (`/test/api.github.com/headers/...`) read by a daemon started without --prefix (or with
 * another one). Names only, never values.
 */

/** The kinds signing-rules.ts knows (a name's third segment under a prefix). */
const KINDS = new Set(["headers", "basic", "rewrite", "queries", "github-app", "oauth2"]);

/** `/test/` and `test` are the same prefix; empty means none. */
const normalize = (prefix: string): string => {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
};

export function prefixHint(
  names: readonly string[],
  prefix: string,
  hostKey: string,
  file: string,
): string | undefined {
  const current = normalize(prefix);
  const flag = (p: string) => (p === "" ? "no --prefix" : `--prefix ${p}`);
  for (const name of names) {
    const at = name.indexOf(`/${hostKey}/`);
    if (at < 0) continue;
    const theirs = normalize(name.slice(0, at));
    if (theirs !== current) return `${file} has ${name}: start the daemon with ${flag(theirs)}`;
  }
  if (current !== "" || names.length === 0) return undefined;
  // Every name shaped /<prefix>/<host>/<kind>/...: the file was written for a prefix that is not set.
  const firsts = new Set<string>();
  for (const name of names) {
    const [, first, , kind] = name.split("/");
    if (first === undefined || kind === undefined || !KINDS.has(kind)) return undefined;
    firsts.add(first);
  }
  const [only] = firsts;
  return firsts.size === 1 && only !== undefined
    ? `every name in ${file} starts with /${only}/ but --prefix is not set: start the daemon with --prefix /${only}`
    : undefined;
}
