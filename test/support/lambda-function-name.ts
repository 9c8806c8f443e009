/**
 * Resolves the FunctionName of an Invoke call the way Lambda does: a name (`my-fn`), a name with a
 * qualifier (`my-fn:live`), a partial ARN (`123456789012:function:my-fn`) or a full ARN
 * (`arn:aws:lambda:us-east-1:123456789012:function:my-fn[:live]`).
 */
export interface ParsedFunctionName {
  name: string;
  qualifier: string | null;
  /** Null when the form carries no region (names and partial ARNs). */
  region: string | null;
  accountId: string | null;
}

/** Returns null when the string is none of the accepted forms. */
export function parseFunctionName(raw: string): ParsedFunctionName | null {
  const full =
    /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/.exec(
      raw,
    );
  if (full) {
    return {
      region: full[1] ?? null,
      accountId: full[2] ?? null,
      name: full[3] ?? "",
      qualifier: full[4] ?? null,
    };
  }
  const partial = /^(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/.exec(raw);
  if (partial) {
    return {
      region: null,
      accountId: partial[1] ?? null,
      name: partial[2] ?? "",
      qualifier: partial[3] ?? null,
    };
  }
  const short = /^([A-Za-z0-9_-]{1,140})(?::([A-Za-z0-9$_-]+))?$/.exec(raw);
  if (short) return { region: null, accountId: null, name: short[1] ?? "", qualifier: short[2] ?? null };
  return null;
}

/** `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, as Lambda spells it in error messages. */
export function functionArn(
  region: string,
  accountId: string,
  name: string,
  qualifier?: string | null,
): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}
