/**
 * Lambda mode, before any call: the misconfigurations no retry can fix (a malformed function name or ARN, a
 * named profile that does not exist, no region at all). Each one ends the daemon at start with the fix, rather
 * than leaving it to serve 503s forever while the SDK repeats "Region is missing".
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export type FunctionTarget = { kind: "ok"; region?: string } | { kind: "invalid"; message: string };

const NAME = "[A-Za-z0-9_-]{1,64}";
const QUALIFIER = "(?::(?:\\$LATEST|[A-Za-z0-9_-]{1,128}))?";
const FULL_ARN = new RegExp(
  `^arn:aws[a-z-]*:lambda:([a-z]{2}(?:-[a-z]+)+-\\d):\\d{12}:function:${NAME}${QUALIFIER}$`,
);
const PARTIAL_ARN = new RegExp(`^\\d{12}:function:${NAME}${QUALIFIER}$`);
const PLAIN_NAME = new RegExp(`^${NAME}${QUALIFIER}$`);

/** The forms Lambda's Invoke accepts: a name, `ACCOUNT:function:NAME` or a full ARN, each with an optional qualifier. */
export function checkFunctionName(raw: string): FunctionTarget {
  const full = FULL_ARN.exec(raw);
  if (full) return { kind: "ok", region: full[1] };
  if (PARTIAL_ARN.test(raw) || PLAIN_NAME.test(raw)) return { kind: "ok" };
  if (raw.startsWith("arn:")) {
    return {
      kind: "invalid",
      message: `--function-name ${JSON.stringify(raw)} is not a Lambda function ARN: expected arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] (copy it from the stack output FunctionArn)`,
    };
  }
  return {
    kind: "invalid",
    message: `--function-name ${JSON.stringify(raw)} is not a Lambda function name: use 1-64 letters, digits, - or _ (optionally :ALIAS or :VERSION), or the function's full ARN`,
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** Section names of an ini file; `[profile x]` in the config file names profile x. */
function sections(path: string): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  for (const match of text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]/gm)) names.add(match[1] ?? "");
  return names;
}

function awsFiles(env: Env): { config: string; credentials: string } {
  const home = env.HOME || homedir();
  return {
    config: env.AWS_CONFIG_FILE || join(home, ".aws", "config"),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"),
  };
}

/** AWS_PROFILE names a profile found in neither shared file: the SDK would only say "no credentials". */
export function checkNamedProfile(env: Env): string | undefined {
  const profile = env.AWS_PROFILE;
  if (!profile) return undefined;
  const files = awsFiles(env);
  const known = [...(sections(files.config) ?? []), ...(sections(files.credentials) ?? [])];
  if (known.includes(profile)) return undefined;
  const listed = known.length > 0 ? ` (profiles there: ${[...new Set(known)].join(", ")})` : "";
  return `AWS_PROFILE=${profile} names a profile that is in neither ${files.config} nor ${files.credentials}${listed}: fix the name (aws configure list-profiles), create it (aws configure --profile ${profile}), or unset AWS_PROFILE`;
}

/**
 * The region the client will use, or the message for "none anywhere". `resolve` is the client's own region
 * provider (env, profile, then instance metadata): whatever the SDK would pick, we pick.
 */
export async function checkRegion(resolve: () => Promise<string>, env: Env): Promise<string | undefined> {
  try {
    const region = await resolve();
    if (region) return undefined;
  } catch {
    // "Region is missing": fall through to the message below.
  }
  const hint = env.AWS_DEFAULT_REGION
    ? ` (AWS_DEFAULT_REGION=${env.AWS_DEFAULT_REGION} is set, but the JavaScript SDK reads AWS_REGION)`
    : "";
  return `no AWS region${hint}: set AWS_REGION (e.g. AWS_REGION=us-east-1), add region = ... to the profile in ~/.aws/config, or give --function-name as a full ARN (arn:aws:lambda:REGION:...)`;
}
