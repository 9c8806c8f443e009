// A misspelled `-c` key (`albb=true`, `daemontag=…`) would otherwise be ignored without a word, and the stack
// deployed without what was asked for. Keys that are not ours are refused unless they belong to CDK itself.

/** CDK's own keys that carry no `:`; feature flags and `aws:cdk:*` keys all do, and namespaced ones start with `@`. */
const CDK_BUILT_INS = new Set(["acknowledged-issue-numbers", "cli-telemetry", "assets-ecr-repository-name"]);

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest of ours, compared without case; none when nothing is close. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

/** One problem per key that is neither ours nor CDK's, with the key it most likely meant. */
export function unknownContextKeys(given: readonly string[], known: readonly string[]): string[] {
  const problems: string[] = [];
  for (const key of given) {
    if (known.includes(key) || key.includes(":") || key.startsWith("@") || CDK_BUILT_INS.has(key)) continue;
    const suggestion = closest(key, known);
    problems.push(
      suggestion
        ? `unknown context key ${key} (did you mean ${suggestion}?)`
        : `unknown context key ${key} (the keys are ${known.join(", ")}; see docs/deploying.md)`,
    );
  }
  return problems;
}
