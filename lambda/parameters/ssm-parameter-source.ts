/** Parameter Store as a ParameterSource: recursive GetParametersByPath, decrypted, every page. */
import { type Parameter, type ParameterSource, ParameterSourceError } from "./parameter-source";
import { type SsmApiClient, SsmApiError } from "./ssm-api-client";

function classify(error: unknown, path: string): ParameterSourceError {
  const code = error instanceof SsmApiError ? error.code : "Error";
  const status = error instanceof SsmApiError ? error.statusCode : undefined;
  if (
    /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|KMS|InvalidKeyId|CredentialsMissing/i.test(
      code,
    ) ||
    status === 403
  ) {
    return new ParameterSourceError(
      "access-denied",
      path,
      `Parameter Store denied access to ${path} (${code}): the function's role needs ssm:GetParametersByPath on ` +
        `parameter${path} and parameter${path}/*, and kms:Decrypt on the key of its SecureStrings`,
    );
  }
  if (/Validation|InvalidFilter|InvalidNextToken|ParameterPatternMismatch/i.test(code)) {
    return new ParameterSourceError("rejected", path, `Parameter Store rejected the path ${path} (${code})`);
  }
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(code) || status === 429) {
    return new ParameterSourceError("throttled", path, `Parameter Store throttled reading ${path} (${code})`);
  }
  return new ParameterSourceError(
    "unreachable",
    path,
    `Parameter Store could not be read for ${path} (${code}): check the function's network path to SSM`,
  );
}

/** At most this many pages per host: 10 parameters a page is far beyond any real host's needs at 50 pages. */
const MAX_PAGES = 50;

export class SsmParameterSource implements ParameterSource {
  constructor(private readonly client: SsmApiClient) {}

  async getParametersByPath(path: string): Promise<Parameter[]> {
    const parameters: Parameter[] = [];
    let nextToken: string | undefined;
    try {
      // Pages hold at most 10 and may be empty while still carrying a NextToken: follow them all.
      for (let page = 0; page < MAX_PAGES; page++) {
        const output = await this.client.getParametersByPath({
          Path: path,
          Recursive: true,
          WithDecryption: true,
          MaxResults: 10,
          ...(nextToken ? { NextToken: nextToken } : {}),
        });
        for (const p of output.Parameters ?? []) {
          if (typeof p.Name === "string" && typeof p.Value === "string")
            parameters.push({ name: p.Name, value: p.Value });
        }
        nextToken = output.NextToken;
        if (!nextToken) return parameters;
      }
    } catch (error) {
      throw classify(error, path);
    }
    throw new ParameterSourceError(
      "unreachable",
      path,
      `Parameter Store returned more than ${MAX_PAGES} pages for ${path}`,
    );
  }
}
