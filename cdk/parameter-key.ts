import { aws_kms as kms, RemovalPolicy, Token } from "aws-cdk-lib";
import type { Construct } from "constructs";

/** Which KMS key encrypts the SecureString token parameters, and so which key the function may decrypt with. */
export abstract class ParameterKey {
  /**
   * A new customer-managed key (the default). Only principals granted on it can decrypt, so hosts that may
   * invoke the function still cannot read the tokens themselves.
   */
  static create(): ParameterKey {
    return new CreatedKey();
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
  abstract putParameterKeyId(key: kms.IKey | undefined): string;
}

class CreatedKey extends ParameterKey {
  bind(scope: Construct): kms.IKey {
    return new kms.Key(scope, "ParameterKey", {
      description: "Encrypts ssm-sign-proxy token parameters; only the signing function may decrypt",
      enableKeyRotation: true,
      // Tokens encrypted with it would become unreadable; keep the key if the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
  putParameterKeyId(key: kms.IKey | undefined): string {
    return key?.keyArn ?? "";
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
