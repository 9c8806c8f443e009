/**
 * What GitHub makes of our Markdown, as far as links go: the headings' anchors (GitHub's slug rules) and the
 * relative links and backticked repository paths a page contains. Fenced code is not Markdown: skipped.
 */

export interface MarkdownLink {
  line: number;
  /** As written: `docs/daemon.md#flags`, `#quick-start`, `../README.md`. */
  target: string;
}

/** Lines outside ``` / ~~~ fences, with their 1-based numbers. */
function proseLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  text.split("\n").forEach((raw, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(raw)?.[1];
    if (marker) {
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: index + 1, text: raw });
  });
  return out;
}

/**
 * GitHub's heading anchor: the heading's text (formatting removed, link text kept), lower-cased, every
 * character that is not a letter, digit, space, `-` or `_` dropped, each space made `-`; repeats get -1, -2…
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const plain = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .replace(/[`*]/g, "");
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Links that stay in the repository: not `http:`, `https:`, `mailto:`; inline code spans are not links. */
export function relativeLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, text: raw } of proseLines(text)) {
    const prose = raw.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1] ?? "";
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ line, target });
    }
  }
  return links;
}

/** Backticked paths into the repository's own folders (`lambda/aws/sigv4.ts`), which must exist too. */
export function repositoryPaths(text: string, roots: readonly string[]): MarkdownLink[] {
  const paths: MarkdownLink[] = [];
  for (const { line, text: raw } of proseLines(text)) {
    for (const match of raw.matchAll(/`([A-Za-z0-9_./-]+\.(?:ts|mjs|js|json|md|yml|crt))`/g)) {
      const path = match[1] ?? "";
      if (roots.some((root) => path.startsWith(`${root}/`))) paths.push({ line, target: path });
    }
  }
  return paths;
}
