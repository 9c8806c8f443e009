// Reads the `-c key=value` / cdk.json context into a typed configuration, refusing bad values with a message
// that names the key, the value and what to write instead. All problems are reported at once.

import type { Node } from "constructs";
import { CONTEXT_KEYS } from "./context-keys";
import { ContextReader, type ContextSource } from "./context-reader";
import type { StackConfig } from "./stack-config";
import { unknownContextKeys } from "./unknown-context-keys";

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Thrown when context values are invalid; `problems` lists each one. */
export class ContextError extends Error {
  override readonly name = "ContextError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid context:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** Reads and validates the app's context. Throws `ContextError` listing every problem found. */
export function readStackConfig(source: ContextSource | Node): StackConfig {
  const reader = new ContextReader(source);
  const hosts = reader.list("hosts");
  const config: StackConfig = {
    prefix: reader.prefix(hosts),
    hosts,
    functionName: reader.string("functionName"),
    kmsKey: reader.kmsKey(),
    alb: reader.alb(),
    hostRole: reader.flag("hostRole"),
    daemonTag: reader.daemonTag(),
    daemonAddress: reader.string("daemonAddress"),
    daemonIntercept: reader.flag("daemonIntercept"),
    github: reader.github(),
    circleci: reader.circleci(),
    allowBroad: reader.flag("allowBroad"),
  };
  reader.matching("functionName", FUNCTION_NAME, config.functionName);
  const given = Object.keys(source.getAllContext?.() ?? {});
  reader.problems.push(...unknownContextKeys(given, Object.keys(CONTEXT_KEYS)));
  if (config.daemonAddress !== undefined && config.daemonTag === undefined) {
    reader.problems.push(`daemonAddress only applies with ${CONTEXT_KEYS.daemonTag}`);
  }
  if (config.daemonIntercept && config.daemonTag === undefined) {
    reader.problems.push(`daemonIntercept only applies with ${CONTEXT_KEYS.daemonTag}`);
  }
  if (reader.problems.length > 0) throw new ContextError(reader.problems);
  return config;
}
