/** Parameter Store as a ParameterSource: recursive GetParametersByPath, decrypted, every page. */
import { paginateGetParametersByPath, type SSMClient } from "@aws-sdk/client-ssm";
import { type Parameter, type ParameterSource, ParameterSourceError } from "./parameter-source";

interface AwsErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function classify(error: unknown, path: string): ParameterSourceError {
  const e = (typeof error === "object" && error !== null ? error : {}) as AwsErrorShape;
  const name = e.name ?? e.code ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  if (
    /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|KMS|InvalidKeyId/i.test(name) ||
    status === 403
  ) {
    return new ParameterSourceError(
      "access-denied",
      path,
      `Parameter Store denied access to ${path} (${name}): the function's role needs ssm:GetParametersByPath on ` +
        `parameter${path} and parameter${path}/*, and kms:Decrypt on the key of its SecureStrings`,
    );
  }
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(name) || status === 429) {
    return new ParameterSourceError("throttled", path, `Parameter Store throttled reading ${path} (${name})`);
  }
  return new ParameterSourceError(
    "unreachable",
    path,
    `Parameter Store could not be read for ${path} (${name}): check the function's network path to SSM`,
  );
}

export class SsmParameterSource implements ParameterSource {
  constructor(private readonly client: SSMClient) {}

  async getParametersByPath(path: string): Promise<Parameter[]> {
    const parameters: Parameter[] = [];
    try {
      // Pages hold at most 10 and may be empty while still carrying a NextToken: the paginator follows them all.
      const pages = paginateGetParametersByPath(
        { client: this.client, pageSize: 10 },
        { Path: path, Recursive: true, WithDecryption: true },
      );
      for await (const page of pages) {
        for (const p of page.Parameters ?? []) {
          if (p.Name !== undefined && p.Value !== undefined)
            parameters.push({ name: p.Name, value: p.Value });
        }
      }
    } catch (error) {
      throw classify(error, path);
    }
    return parameters;
  }
}
