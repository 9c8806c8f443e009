/** Where parameters come from: Parameter Store in the function, a JSON file in the daemon's --local mode. */

export interface Parameter {
  /** The full name, e.g. `/prod/api.github.com/headers/Authorization`. */
  name: string;
  /** The decrypted value. Secret: never log it. */
  value: string;
}

export interface ParameterSource {
  /** Every parameter under `path + "/"`, recursively (the semantics of SSM GetParametersByPath). */
  getParametersByPath(path: string): Promise<Parameter[]>;
}

export type ParameterSourceFailure = "access-denied" | "throttled" | "unreachable" | "rejected";

/** A failure of the source itself (not "no parameters"): mapped to 502/503 by the handler. */
export class ParameterSourceError extends Error {
  override readonly name = "ParameterSourceError";
  constructor(
    readonly failure: ParameterSourceFailure,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
