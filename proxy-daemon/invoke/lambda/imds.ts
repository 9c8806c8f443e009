/**
 * The EC2 instance id, for the function's audit log, from IMDSv2 only (token PUT, then GET with the token):
 * IMDSv1 is what SSRF bugs reach, and many accounts disable it. One 1 s budget for both calls, asked once.
 * Off EC2 the answer is simply "no instance id". Endpoint and opt-out follow the AWS SDK's environment
 * variables: AWS_EC2_METADATA_SERVICE_ENDPOINT and AWS_EC2_METADATA_DISABLED=true.
 */

const DEFAULT_ENDPOINT = "http://169.254.169.254";
const BUDGET_MS = 1000;
const TOKEN_TTL_SECONDS = "60";

export async function fetchInstanceId(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string | undefined> {
  if ((env.AWS_EC2_METADATA_DISABLED ?? "").toLowerCase() === "true") return undefined;
  const endpoint = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, "");
  const signal = AbortSignal.timeout(BUDGET_MS);
  try {
    const tokenResponse = await fetch(`${endpoint}/latest/api/token`, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS },
      signal,
    });
    const token = await tokenResponse.text();
    if (!tokenResponse.ok || token === "") return undefined;
    const idResponse = await fetch(`${endpoint}/latest/meta-data/instance-id`, {
      headers: { "X-aws-ec2-metadata-token": token },
      signal,
    });
    const id = (await idResponse.text()).trim();
    return idResponse.ok && /^i-[0-9a-f]+$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

let cached: Promise<string | undefined> | undefined;

/** {@link fetchInstanceId}, asked once per process. */
export function instanceId(): Promise<string | undefined> {
  cached ??= fetchInstanceId();
  return cached;
}
