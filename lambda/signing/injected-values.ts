/** Every secret value a host's rules put into a request: what must never come back to the client. Pure. */
import type { SigningRules } from "./signing-rules";

export function injectedValues(rules: SigningRules): string[] {
  const values: string[] = [];
  for (const [, value] of rules.headers) values.push(value);
  if (rules.basic) values.push(`${rules.basic.username}:${rules.basic.password}`, rules.basic.password);
  if (rules.rewritePath !== undefined) values.push(rules.rewritePath);
  // Already escaped as on the wire: the raw form is what a server reflects.
  for (const [, value] of rules.rewriteQuery ?? []) if (value !== null) values.push(value);
  for (const [, value] of rules.queries) values.push(value);
  return values;
}
