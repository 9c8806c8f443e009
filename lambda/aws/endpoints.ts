/** Where an AWS service is reached: the SDK's own environment overrides first, then the regional endpoint. */

/** `https://<service>.<region>.amazonaws.com` (`.com.cn` in the China regions). */
export function regionalEndpoint(service: string, region: string): string {
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://${service}.${region}.${suffix}`;
}

/** `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the regional endpoint (as the SDK resolves it). */
export function serviceEndpoint(
  service: string,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return (
    env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ??
    env.AWS_ENDPOINT_URL ??
    regionalEndpoint(service, region)
  );
}
