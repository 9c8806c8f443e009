// The error a signing refusal surfaces as; its own module so callers can import it without the dispatcher.
import type { RefusalCode } from "../../lambda/core/refusal";

/**
 * The signer refused to sign (407: no parameters for the host); `message` says which parameter to create and
 * `code` is the refusal code (the `x-ssm-sign-proxy-error` value), e.g. `no-parameters`.
 */
export class SigningError extends Error {
  override readonly name = "SigningError";
  constructor(
    readonly status: number,
    message: string,
    readonly code?: RefusalCode,
  ) {
    super(message);
  }
}
