import { iamStringLike } from "./iam-string-like";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One sts:AssumeRoleWithWebIdentity call: which provider vouched, and the token's claims by condition key. */
export interface WebIdentityRequest {
  /** The Federated principal as it appears in the template (a string or an intrinsic). */
  readonly provider: Json;
  /** e.g. { "token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main" } */
  readonly claims: Readonly<Record<string, string>>;
}

const OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (expected, value) => expected === value,
  StringLike: iamStringLike,
};

function asArray(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function conditionsHold(
  conditions: { [operator: string]: Json } | undefined,
  claims: Readonly<Record<string, string>>,
): boolean {
  // Operators and keys are AND'ed; the values listed for one key are OR'ed; a missing claim never matches.
  return Object.entries(conditions ?? {}).every(([operator, block]) => {
    const compare = OPERATORS[operator];
    if (!compare) throw new Error(`the evaluator does not model condition operator ${operator}`);
    return Object.entries(block as { [key: string]: Json }).every(([key, expected]) => {
      const actual = claims[key];
      return (
        actual !== undefined && asArray(expected).some((candidate) => compare(String(candidate), actual))
      );
    });
  });
}

function statementApplies(statement: { [key: string]: Json }, request: WebIdentityRequest): boolean {
  const actions = asArray(statement.Action).map(String);
  if (!actions.some((action) => iamStringLike(action, "sts:AssumeRoleWithWebIdentity"))) return false;
  const principal = statement.Principal as { [key: string]: Json } | undefined;
  const federated = asArray(principal?.Federated);
  if (!federated.some((candidate) => JSON.stringify(candidate) === JSON.stringify(request.provider)))
    return false;
  return conditionsHold(statement.Condition as { [operator: string]: Json } | undefined, request.claims);
}

/** Whether a role trust policy lets this web-identity request assume the role (explicit Deny wins). */
export function trustPolicyAllows(policy: { Statement: Json[] }, request: WebIdentityRequest): boolean {
  const statements = policy.Statement as { [key: string]: Json }[];
  const applicable = statements.filter((statement) => statementApplies(statement, request));
  if (applicable.some((statement) => statement.Effect === "Deny")) return false;
  return applicable.some((statement) => statement.Effect === "Allow");
}
