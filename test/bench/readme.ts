/**
 * `npx tsx test/bench/readme.ts`: copies the figures of test/bench/results.json into docs/benchmarks.md, between the
 * `<!-- bench:table -->` markers inside the Benchmarks section. Touches nothing else in the file, so it can run
 * while others edit their own sections.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fullReport } from "./report";
import type { Results } from "./summary";

const README = join(import.meta.dirname, "../../docs/benchmarks.md");
const RESULTS = join(import.meta.dirname, "results.json");
const START = "<!-- bench:table -->";
const END = "<!-- /bench:table -->";

const results = JSON.parse(readFileSync(RESULTS, "utf8")) as Results;
const readme = readFileSync(README, "utf8");
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from === -1 || to < from)
  throw new Error(`docs/benchmarks.md has no ${START} … ${END} block in the Benchmarks section`);
const updated = `${readme.slice(0, from + START.length)}\n${fullReport(results)}\n${readme.slice(to)}`;
writeFileSync(README, updated);
process.stdout.write(`docs/benchmarks.md: table refreshed from ${RESULTS} (${results.generatedAt})\n`);
