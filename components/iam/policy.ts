/**
 * IAM policy documents as plain data, built by pure functions (never `aws.iam.getPolicyDocument`,
 * which is an invoke: it would need AWS, and the offline plan's mocks refuse unknown invokes).
 */
import { arnOf } from "../core/arn";
import { ownershipTagKey, ROLE_TAGS } from "../core/tags";

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** The trust policy that lets one AWS service (e.g. `ec2.amazonaws.com`) assume a role. */
export function serviceTrustPolicy(service = "ec2.amazonaws.com"): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "ServiceAssume", Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}

export interface SecretReadPolicyArgs {
  /** ARNs of the secrets the role may read (its own bootstrap bundle). Required, non-empty. */
  secretArns: string[];
  /** The cluster KMS key that encrypts the secrets. Required. */
  kmsKeyArn: string;
  /** Region of the secrets (the `kms:ViaService` condition). Required. */
  region: string;
}

/**
 * Read access to exactly these secrets: `secretsmanager:GetSecretValue` and `DescribeSecret` on
 * their ARNs, and `kms:Decrypt` on the cluster key only when Secrets Manager asks for it on one of
 * these secrets (`kms:ViaService` plus the `SecretARN` encryption context Secrets Manager sets).
 */
export function secretReadPolicy(args: SecretReadPolicyArgs): PolicyDocument {
  if (args.secretArns.length === 0) throw new Error("secretReadPolicy: no secret ARN given");
  const arns = [...args.secretArns].sort();
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadOwnBootstrapSecret",
        Effect: "Allow",
        Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        Resource: arns,
      },
      {
        Sid: "DecryptOwnBootstrapSecret",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: args.kmsKeyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": `secretsmanager.${args.region}.amazonaws.com`,
            "kms:EncryptionContext:SecretARN": arns,
          },
        },
      },
    ],
  };
}

/** Serialises a policy document (stable key order as written). */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** The one item of a cluster's init marker table (docs/bootstrap.md, "Init marker"). */
export const INIT_MARKER_KEY = "init";

/**
 * A control-plane node and the cluster's init marker: GetItem/PutItem/UpdateItem on the cluster's
 * table only, and only on its `init` item (`dynamodb:LeadingKeys`); no Scan, Query or Delete. Plus
 * `ec2:DescribeInstances` (which has no resource-level permissions) to tell whether a claimant is gone.
 */
export function initLockPolicy(tableArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "InitMarker",
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        Resource: [tableArn],
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [INIT_MARKER_KEY] } },
      },
      { Sid: "InitMarkerClaimant", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" },
    ],
  };
}

export interface InstanceHealthPolicyArgs {
  /** Region of the group. Required. */
  region: string;
  /** Cluster name: the group must carry `kubernetes.io/cluster/<cluster> = owned`. Required. */
  clusterName: string;
  /** The pool: the group must carry `pulumi-kubeadm-aws:node-pool = <pool>`. Required. */
  poolName: string;
  /** The pool's Auto Scaling group name (`poolGroupName`). Required. */
  groupName: string;
}

/**
 * A worker whose boot failed marks itself Unhealthy, so its Auto Scaling group replaces it:
 * `autoscaling:SetInstanceHealth` on its pool's group only, by name and by the group's cluster and
 * pool tags (`autoscaling:ResourceTag/...`). Nothing else of Auto Scaling.
 */
export function instanceHealthPolicy(a: InstanceHealthPolicyArgs): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReportOwnBootFailure",
        Effect: "Allow",
        Action: ["autoscaling:SetInstanceHealth"],
        Resource: [arnOf({ region: a.region, service: "autoscaling", resource: `autoScalingGroup:*:autoScalingGroupName/${a.groupName}` })],
        Condition: {
          StringEquals: {
            [`autoscaling:ResourceTag/${ownershipTagKey(a.clusterName)}`]: "owned",
            [`autoscaling:ResourceTag/${ROLE_TAGS.nodePool}`]: a.poolName,
          },
        },
      },
    ],
  };
}
