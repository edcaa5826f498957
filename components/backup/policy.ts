/** Pure documents for the backup bucket: lifecycle rules and the bucket policy. */
import { BACKUP_PREFIXES } from "./scripts";

export interface RetentionInput {
  /** Days the frequent snapshots are kept. */
  frequentRetentionDays: number;
  /** Days the daily snapshots are kept. */
  dailyRetentionDays: number;
  /** Days a deleted or expired (noncurrent) version is kept before it is removed for good. */
  noncurrentRetentionDays: number;
}

export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix: string };
  expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** Expire each prefix after its retention; keep noncurrent versions a while; clean up the rest. */
export function backupLifecycleRules(r: RetentionInput): LifecycleRule[] {
  for (const [k, v] of Object.entries(r))
    if (!Number.isInteger(v) || v < 1) throw new Error(`backup: ${k} must be a positive whole number of days (got ${v})`);
  return [
    {
      id: "frequent-snapshots",
      status: "Enabled",
      filter: { prefix: BACKUP_PREFIXES.frequent },
      expiration: { days: r.frequentRetentionDays },
      noncurrentVersionExpiration: { noncurrentDays: r.noncurrentRetentionDays },
    },
    {
      id: "daily-snapshots",
      status: "Enabled",
      filter: { prefix: BACKUP_PREFIXES.daily },
      expiration: { days: r.dailyRetentionDays },
      noncurrentVersionExpiration: { noncurrentDays: r.noncurrentRetentionDays },
    },
    {
      id: "housekeeping",
      status: "Enabled",
      filter: { prefix: "" },
      expiration: { expiredObjectDeleteMarker: true },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
  ];
}

/** Denies every request that does not use TLS (and TLS older than 1.2). */
export function denyInsecureTransportPolicy(bucketArn: string): string {
  const resources = [bucketArn, `${bucketArn}/*`];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: resources,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyOutdatedTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: resources,
        Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
      },
    ],
  });
}

/**
 * What a member needs to write snapshots of one cluster and read them back for a restore: put
 * and get under its own cluster's prefixes, list the bucket, and the KMS key if there is one. No
 * delete: expiry is the lifecycle rules' job.
 */
export function backupWriterStatements(bucketArn: string, cluster: string, kmsKeyArn?: string): Record<string, unknown>[] {
  const objects = [`${bucketArn}/${BACKUP_PREFIXES.frequent}${cluster}/*`, `${bucketArn}/${BACKUP_PREFIXES.daily}${cluster}/*`];
  const out: Record<string, unknown>[] = [
    { Sid: "EtcdSnapshots", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: objects },
    {
      Sid: "EtcdSnapshotList",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [bucketArn],
      Condition: { StringLike: { "s3:prefix": [`${BACKUP_PREFIXES.frequent}${cluster}/*`, `${BACKUP_PREFIXES.daily}${cluster}/*`] } },
    },
  ];
  if (kmsKeyArn)
    out.push({ Sid: "EtcdSnapshotKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [kmsKeyArn] });
  return out;
}
