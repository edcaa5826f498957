/** IAM documents for etcd members, pure. */

export function etcdMemberAssumeRolePolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
}

export interface MemberPolicyInput {
  /** The members' TLS secrets (read only). */
  secretArns: string[];
  /** Snapshot upload/download statements (backupWriterStatements). */
  backupStatements: Record<string, unknown>[];
  /** KMS key of the secrets, if customer-managed. */
  kmsKeyArn?: string;
}

/** Read the members' TLS secrets, write and read snapshots; nothing else. */
export function etcdMemberPolicy(input: MemberPolicyInput): string {
  const statements: Record<string, unknown>[] = [
    { Sid: "EtcdMemberPki", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...input.secretArns].sort() },
    ...input.backupStatements,
  ];
  if (input.kmsKeyArn) statements.push({ Sid: "EtcdMemberPkiKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [input.kmsKeyArn] });
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
