/**
 * BackupBucket: the S3 bucket etcd snapshots go to. Versioned, encrypted (KMS when a key is given,
 * otherwise AES256), no public access, TLS only, lifecycle rules for the tier's retention, and
 * (with deletion protection) protected and kept when the stack is destroyed.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsName } from "../core/names";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import type { ClusterSpec } from "../spec/spec";
import { backupLifecycleRules, denyInsecureTransportPolicy } from "./policy";

/** A bucket's args from a spec's retention and protection: what the Environment and a Cluster without one pass. */
export function backupBucketArgsOf(
  spec: Pick<ClusterSpec, "name" | "backup" | "deletionProtection" | "tags">,
  extra: Partial<BackupBucketArgs> = {},
): BackupBucketArgs {
  return {
    clusterName: spec.name,
    frequentRetentionDays: spec.backup.frequentRetentionDays,
    dailyRetentionDays: spec.backup.dailyRetentionDays,
    deletionProtection: spec.deletionProtection,
    tags: spec.tags,
    ...extra,
  };
}

export interface BackupBucketArgs {
  /** Cluster (or environment) name: the bucket name prefix and the tags. Required. */
  clusterName: string;
  /** Days the frequent snapshots (`frequent/`) are kept; the tier's `backup.frequentRetentionDays`. Required. */
  frequentRetentionDays: number;
  /** Days the daily snapshots (`daily/`) are kept; the tier's `backup.dailyRetentionDays`. Required. */
  dailyRetentionDays: number;
  /** Days a noncurrent (overwritten or deleted) version survives. @default 7 */
  noncurrentRetentionDays?: number;
  /** KMS key for SSE-KMS (with an S3 bucket key); without it, SSE-S3 (AES256). @default undefined (AES256) */
  kmsKeyArn?: pulumi.Input<string>;
  /** Protect the bucket and keep it on `pulumi destroy`; the spec's `deletionProtection`. @default true */
  deletionProtection?: boolean;
  /** An exact bucket name; otherwise Pulumi auto-names from `<clusterName>-etcd-backups-`. @default undefined */
  bucketName?: string;
  /** Extra tags. @default {} */
  tags?: Record<string, string>;
}

export class BackupBucket extends pulumi.ComponentResource {
  /** Bucket name. */
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The KMS key used, if any. */
  readonly kmsKeyArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("backup", "BackupBucket"), name, {}, opts);
    const protect = args.deletionProtection ?? true;
    const keep: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete: protect };
    const child: pulumi.CustomResourceOptions = { parent: this };
    const tags = clusterTags(args.clusterName, args.tags ?? {});

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        ...(args.bucketName ? { bucket: args.bucketName } : { bucketPrefix: `${awsName(`${args.clusterName}-etcd-backups`, 36)}-` }),
        forceDestroy: false,
        tags: { ...tags, Name: `${args.clusterName}-etcd-backups` },
      },
      { ...keep, ignoreChanges: ["bucketPrefix"] },
    );

    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      keep,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          args.kmsKeyArn
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: backupLifecycleRules({
          frequentRetentionDays: args.frequentRetentionDays,
          dailyRetentionDays: args.dailyRetentionDays,
          noncurrentRetentionDays: args.noncurrentRetentionDays ?? 7,
        }),
      },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(`${name}-policy`, { bucket: bucket.id, policy: bucket.arn.apply(denyInsecureTransportPolicy) }, child);

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = pulumi.output(args.kmsKeyArn);
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
