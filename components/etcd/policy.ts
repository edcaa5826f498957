/** IAM documents for etcd members and for control-plane nodes that back up colocated etcd, pure. */
import { backupWriterStatements } from "../backup/policy";
import { BACKUP_PREFIXES } from "../backup/scripts";
import type { PolicyDocument, PolicyStatement } from "../iam/policy";

/**
 * A dedicated member's snapshot policy (beside the bundle read RoleBootstrap gives every role): put and get
 * under this cluster's `frequent/` and `daily/` prefixes, list them, and the bucket's key if it has one.
 * No delete.
 */
export function etcdMemberBackupPolicy(bucketArn: string, cluster: string, kmsKeyArn?: string): PolicyDocument {
  return { Version: "2012-10-17", Statement: backupWriterStatements(bucketArn, cluster, kmsKeyArn) as unknown as PolicyStatement[] };
}

/**
 * What a control-plane node running a colocated etcd member needs to back it up: `s3:PutObject`
 * under this cluster's `frequent/` and `daily/` prefixes only (no read, no list, no delete: restores
 * use an operator's credentials), and the bucket's KMS key for the upload if it has one.
 */
export function etcdSnapshotUploadPolicy(bucketArn: string, cluster: string, kmsKeyArn?: string): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "EtcdSnapshotUpload",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: [`${bucketArn}/${BACKUP_PREFIXES.frequent}${cluster}/*`, `${bucketArn}/${BACKUP_PREFIXES.daily}${cluster}/*`],
    },
  ];
  if (kmsKeyArn) statements.push({ Sid: "EtcdSnapshotKey", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: [kmsKeyArn] });
  return { Version: "2012-10-17", Statement: statements };
}
