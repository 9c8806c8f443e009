/**
 * Why keyless CI credentials could not be had: the step that failed and whether trying again can help.
 * Messages name the step, the HTTP status or STS error code and the fix; never a token or key.
 */
export type CiCredentialsStep = "setup" | "id-token" | "token-file" | "sts";

export class CiCredentialsError extends Error {
  override readonly name = "CiCredentialsError";

  constructor(
    readonly step: CiCredentialsStep,
    message: string,
    /** true: retrying later may succeed (5xx, throttling, network); false: configuration must change. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}
