import { aws_kms as kms, RemovalPolicy, Token } from "aws-cdk-lib";
import type { Construct } from "constructs";

/** The alias of a created key, so `aws ssm put-parameter --key-id alias/ssm-sign-proxy` works. */
export const DEFAULT_KEY_ALIAS = "alias/ssm-sign-proxy";

/** Which KMS key encrypts the SecureString token parameters, and so which key the function may decrypt with. */
export abstract class ParameterKey {
  /**
   * A new customer-managed key (the default), with rotation and the alias `alias/ssm-sign-proxy` unless
   * another is given (aliases are unique per account and region). Only principals granted on it can decrypt, so hosts that may
   * invoke the function still cannot read the tokens themselves.
   */
  static create(options: { readonly alias?: string } = {}): ParameterKey {
    return new CreatedKey(options.alias ?? DEFAULT_KEY_ALIAS);
  }

  /** An existing customer-managed key, by ARN. */
  static fromKeyArn(keyArn: string): ParameterKey {
    if (
      !Token.isUnresolved(keyArn) &&
      !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[A-Za-z0-9-]+$/.test(keyArn)
    ) {
      throw new Error(
        `kmsKey '${keyArn}' is not a KMS key ARN; pass arn:aws:kms:REGION:ACCOUNT:key/KEY-ID ` +
          "(an alias ARN cannot be granted on), 'create' or 'aws-managed'.",
      );
    }
    return new ExistingKey(keyArn);
  }

  /**
   * The account's AWS-managed `aws/ssm` key. Its key policy lets every principal in the account that may
   * call SSM decrypt with it, so any role that can read the parameters can read the tokens: hosts included.
   * Only for accounts where that is acceptable.
   */
  static awsManaged(): ParameterKey {
    return new AwsManagedKey();
  }

  /** Resolves to the key to grant on, or undefined when no grant is needed (the AWS-managed key). */
  abstract bind(scope: Construct): kms.IKey | undefined;
  /** Text for `aws ssm put-parameter --key-id`. */
  abstract putParameterKeyId(): string;
}

class CreatedKey extends ParameterKey {
  constructor(private readonly alias: string) {
    super();
  }
  bind(scope: Construct): kms.IKey {
    return new kms.Key(scope, "ParameterKey", {
      alias: this.alias,
      description: "Encrypts ssm-sign-proxy token parameters; only the signing function may decrypt",
      enableKeyRotation: true,
      // Tokens encrypted with it would become unreadable; keep the key if the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
  putParameterKeyId(): string {
    return this.alias;
  }
}

class ExistingKey extends ParameterKey {
  constructor(private readonly keyArn: string) {
    super();
  }
  bind(scope: Construct): kms.IKey {
    return kms.Key.fromKeyArn(scope, "ParameterKey", this.keyArn);
  }
  putParameterKeyId(): string {
    return this.keyArn;
  }
}

class AwsManagedKey extends ParameterKey {
  bind(): undefined {
    return undefined;
  }
  putParameterKeyId(): string {
    return "alias/aws/ssm";
  }
}
