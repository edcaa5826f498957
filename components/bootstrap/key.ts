/** BootstrapKey: the cluster's KMS key that encrypts every role's bootstrap secret. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";

export interface BootstrapKeyArgs {
  /** Cluster name (alias, tags). Required. */
  clusterName: string;
  /** Days before a deleted key is gone. @default 30 */
  deletionWindowInDays?: number;
  /** Protect the key from `pulumi destroy`. @default false */
  protect?: boolean;
  /** Extra tags. @default {} */
  tags?: Record<string, string>;
}

export class BootstrapKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: BootstrapKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("bootstrap", "BootstrapKey"), name, {}, opts);
    // No key policy given: AWS's default lets the account's IAM policies grant use of the key, so
    // each node role's own policy decides (decrypt only via Secrets Manager, only its own secret).
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `${args.clusterName}: node bootstrap secrets`,
        enableKeyRotation: true,
        deletionWindowInDays: args.deletionWindowInDays ?? 30,
        tags: clusterTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-bootstrap`),
      },
      { parent: this, protect: args.protect ?? false },
    );
    this.alias = new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/${args.clusterName}-bootstrap`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.keyArn = this.key.arn;
    this.registerOutputs({ keyArn: this.keyArn });
  }
}
