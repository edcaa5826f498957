/** IAM documents for etcd members and for control-plane nodes that back up colocated etcd, pure. */
import { BACKUP_PREFIXES } from "../backup/scripts";
import type { PolicyDocument, PolicyStatement } from "../iam/policy";

export interface MemberPolicyInput {
  /** This member's TLS secret (read only); no other member's. */
  secretArn: string;
  /** Snapshot upload/download statements (backupWriterStatements). */
  backupStatements: Record<string, unknown>[];
  /** KMS key of the secret, if customer-managed: decrypt only through Secrets Manager, for this secret. @default undefined */
  kmsKeyArn?: string;
  /** Region of the secret (the `kms:ViaService` condition). Required with `kmsKeyArn`. */
  region?: string;
}

/** One member's policy: read its own TLS secret, write and read snapshots; nothing else. */
export function etcdMemberPolicy(input: MemberPolicyInput): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: "EtcdMemberPki", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [input.secretArn] },
    ...(input.backupStatements as unknown as PolicyStatement[]),
  ];
  if (input.kmsKeyArn) {
    if (!input.region) throw new Error("etcdMemberPolicy: region is required with kmsKeyArn");
    statements.push({
      Sid: "EtcdMemberPkiKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [input.kmsKeyArn],
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${input.region}.amazonaws.com`, "kms:EncryptionContext:SecretARN": [input.secretArn] } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * What a control-plane node running a colocated etcd member needs to back it up: `s3:PutObject`
 * under this cluster's `frequent/` and `daily/` prefixes only (no read, no list, no delete: restores
 * use an operator's credentials), and the bucket's KMS key for the upload if it has one.
 */
export function etcdSnapshotUploadPolicy(bucketArn: string, cluster: string, kmsKeyArn?: string): PolicyDocument {
  const statements: PolicyStatement[] = [{
    Sid: "EtcdSnapshotUpload", Effect: "Allow", Action: ["s3:PutObject"],
    Resource: [`${bucketArn}/${BACKUP_PREFIXES.frequent}${cluster}/*`, `${bucketArn}/${BACKUP_PREFIXES.daily}${cluster}/*`],
  }];
  if (kmsKeyArn) statements.push({ Sid: "EtcdSnapshotKey", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: [kmsKeyArn] });
  return { Version: "2012-10-17", Statement: statements };
}
