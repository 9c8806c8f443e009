import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { Aws, aws_iam as iam, aws_s3_assets as s3assets, aws_ssm as ssm } from "aws-cdk-lib";
import { Construct } from "constructs";
import { STANDALONE_DAEMON } from "../constructs/paths";
import { DEFAULT_DAEMON_ADDRESS } from "./daemon-command";
import { DOWNLOAD_DIR, installScript } from "./daemon-install-script";

/** Thrown at synth time when the association cannot be built as asked. */
export class DaemonAssociationError extends Error {
  override readonly name = "DaemonAssociationError";
}

/** An EC2 tag selecting the hosts that get the daemon. */
export interface HostTag {
  readonly key: string;
  readonly value: string;
}

export interface DaemonAssociationProps {
  /** The function the daemon invokes (name or ARN). */
  readonly functionName: string;
  /** Instances carrying this tag get the daemon. */
  readonly targetTag: HostTag;
  /**
   * Where the daemon listens. Keep it on loopback: whoever reaches it signs requests with the host's rights.
   * @default "127.0.0.1:8000"
   */
  readonly address?: string;
  /**
   * The self-contained daemon bundle to ship.
   * @default - dist/standalone/ssm-sign-proxy.mjs of this package (built by `npm run build`)
   */
  readonly daemonBundlePath?: string;
  /**
   * Also sign https:// URLs (CONNECT with TLS interception). The install script creates the CA on the host
   * (it never leaves it), adds it to the host's trust store and hands it to the service as systemd credentials.
   * @default false
   */
  readonly intercept?: boolean;
}

const LOOPBACK_ADDRESS = /^(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\]|localhost):[0-9]{1,5}$/;

/**
 * A State Manager association that installs the daemon (an S3 asset) on tagged instances and runs it as a
 * hardened systemd service. Hosts need `grantDownload()` and SSM managed-instance access.
 */
export class DaemonAssociation extends Construct {
  readonly asset: s3assets.Asset;
  readonly document: ssm.CfnDocument;
  readonly association: ssm.CfnAssociation;

  constructor(scope: Construct, id: string, props: DaemonAssociationProps) {
    super(scope, id);
    const address = props.address ?? DEFAULT_DAEMON_ADDRESS;
    if (!LOOPBACK_ADDRESS.test(address)) {
      throw new DaemonAssociationError(
        `daemon address '${address}' is not a loopback host:port; anyone who reaches the daemon signs requests ` +
          "with this host's rights. Use 127.0.0.1:PORT.",
      );
    }
    const bundlePath = props.daemonBundlePath ?? STANDALONE_DAEMON;
    if (!existsSync(bundlePath)) {
      throw new DaemonAssociationError(
        `the daemon bundle ${bundlePath} does not exist; run \`npm run build\` first (it writes dist/standalone/ssm-sign-proxy.mjs).`,
      );
    }
    const sha256 = createHash("sha256").update(readFileSync(bundlePath)).digest("hex");
    this.asset = new s3assets.Asset(this, "Bundle", { path: bundlePath });

    this.document = new ssm.CfnDocument(this, "Document", {
      documentType: "Command",
      documentFormat: "JSON",
      content: {
        schemaVersion: "2.2",
        description: "Installs the ssm-sign-proxy daemon and runs it as a systemd service",
        parameters: {
          DaemonUrl: { type: "String", allowedPattern: "^https://[A-Za-z0-9.-]+/[A-Za-z0-9._/-]+$" },
          DaemonFileName: { type: "String", allowedPattern: "^[A-Za-z0-9._-]+$" },
          DaemonSha256: { type: "String", allowedPattern: "^[0-9a-f]{64}$" },
          FunctionName: { type: "String", allowedPattern: "^[A-Za-z0-9_:.-]+$" },
          Region: { type: "String", allowedPattern: "^[a-z0-9-]+$" },
          Address: {
            type: "String",
            allowedPattern: "^[A-Za-z0-9.:\\[\\]]+$",
            default: DEFAULT_DAEMON_ADDRESS,
          },
          Intercept: { type: "String", allowedPattern: "^(true|false)$", default: "false" },
        },
        mainSteps: [
          {
            action: "aws:downloadContent",
            name: "DownloadDaemon",
            precondition: { StringEquals: ["platformType", "Linux"] },
            inputs: {
              sourceType: "S3",
              sourceInfo: '{"path":"{{ DaemonUrl }}"}',
              destinationPath: DOWNLOAD_DIR,
            },
          },
          {
            action: "aws:runShellScript",
            name: "InstallDaemon",
            precondition: { StringEquals: ["platformType", "Linux"] },
            inputs: { timeoutSeconds: "900", runCommand: installScript },
          },
        ],
      },
    });

    this.association = new ssm.CfnAssociation(this, "Association", {
      name: this.document.ref,
      targets: [{ key: `tag:${props.targetTag.key}`, values: [props.targetTag.value] }],
      parameters: {
        DaemonUrl: [
          `https://s3.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.asset.s3BucketName}/${this.asset.s3ObjectKey}`,
        ],
        DaemonFileName: [this.asset.s3ObjectKey],
        DaemonSha256: [sha256],
        FunctionName: [props.functionName],
        Region: [Aws.REGION],
        Address: [address],
        Intercept: [props.intercept ? "true" : "false"],
      },
      // Re-applied daily so a host that drifted (unit removed, service stopped) converges again.
      scheduleExpression: "rate(1 day)",
      maxConcurrency: "50%",
      maxErrors: "25%",
    });
  }

  /** Lets `grantee` download this daemon bundle, and no other object in the assets bucket. */
  grantDownload(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["s3:GetObject"],
      resourceArns: [this.asset.bucket.arnForObjects(this.asset.s3ObjectKey)],
    });
  }
}
