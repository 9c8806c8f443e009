/**
 * Every value the signer puts into a request for one host: what must never come back to the client.
 * The scrubber (lambda/scrub) adds the other spellings (percent-encoded, form-encoded, base64 of user:password).
 */
import { encodeQueryComponent } from "./signer";
import type { SigningRules } from "./signing-rules";

/** `Bearer abc…`: an echo may quote only the credential after the scheme. */
const AUTH_SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* +(\S.*)$/;

export function injectedValues(rules: SigningRules): string[] {
  const values: string[] = [];
  for (const [, value] of rules.headers) {
    values.push(value);
    const credential = AUTH_SCHEME.exec(value)?.[1];
    if (credential) values.push(credential);
  }
  if (rules.basic) {
    const pair = `${rules.basic.username}:${rules.basic.password}`;
    values.push(pair, rules.basic.password);
  }
  if (rules.rewritePath !== undefined) values.push(rules.rewritePath);
  // Already escaped as on the wire: the raw form is what a server reflects.
  for (const [, value] of rules.rewriteQuery ?? []) if (value !== null) values.push(value);
  for (const [, value] of rules.queries) values.push(value, encodeQueryComponent(value));
  return values;
}
