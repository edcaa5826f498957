/**
 * NodeRole: the IAM identity of one machine role (control-plane node, worker pool, etcd member):
 * an IAM role EC2 may assume, its instance profile, inline policies (documents built by pure
 * functions, e.g. `secretReadPolicy`) and managed policy attachments.
 */
import { awsManagedPolicyArn } from "../core/arn";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AWS_NAME_LIMITS, awsName } from "../core/names";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { policyJson, serviceTrustPolicy, type PolicyDocument } from "./policy";

/** AWS-managed policy that lets SSM Session Manager reach the node (no SSH keys needed). */
/** The AWS managed policy Session Manager needs (every machine role gets it unless told otherwise). */
export const SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore";

/** The Session Manager policy's ARN in `region`'s partition. */
export function ssmCorePolicyArn(region: string): string {
  return awsManagedPolicyArn(region, SSM_CORE_POLICY);
}

export interface NodeRoleArgs {
  /** Cluster name (role name prefix and tags). Required. */
  clusterName: string;
  /** Machine role, e.g. `control-plane-0`, `worker-general`, `etcd-1` (part of the IAM role name). Required. */
  machineRole: string;
  /** The cluster's region: its partition is in every ARN (`aws`, `aws-cn`, `aws-us-gov`). Required. */
  region: string;
  /** Inline policies by name; each name becomes a `RolePolicy` `${name}-<key>`. @default {} */
  policies?: Record<string, pulumi.Input<PolicyDocument>>;
  /** Managed policy ARNs to attach. @default [ssmCorePolicyArn(region)] */
  managedPolicyArns?: string[];
  /** Extra tags (cluster tags are always added). @default {} */
  tags?: Record<string, string>;
}

export class NodeRole extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;
  /** Inline policies, by the key they were given under. */
  readonly rolePolicies: Record<string, aws.iam.RolePolicy>;
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;
  readonly instanceProfileName: pulumi.Output<string>;
  readonly instanceProfileArn: pulumi.Output<string>;

  constructor(name: string, args: NodeRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("iam", "NodeRole"), name, {}, opts);
    const fullName = awsName(`${args.clusterName}-${args.machineRole}`, AWS_NAME_LIMITS.iamRole);
    const tags = clusterTags(args.clusterName, args.tags ?? {}, fullName);

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: fullName,
        description: `${args.clusterName} ${args.machineRole} nodes`,
        assumeRolePolicy: policyJson(serviceTrustPolicy("ec2.amazonaws.com")),
        tags,
      },
      { parent: this },
    );

    this.instanceProfile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      {
        name: fullName,
        role: this.role.name,
        tags,
      },
      { parent: this },
    );

    this.rolePolicies = {};
    for (const [key, doc] of Object.entries(args.policies ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      this.rolePolicies[key] = new aws.iam.RolePolicy(
        `${name}-${key}`,
        {
          name: key,
          role: this.role.name,
          policy: pulumi.output(doc).apply((d) => policyJson(d as PolicyDocument)),
        },
        { parent: this },
      );
    }
    // Named by the policy's own name, so reordering the list never replaces an attachment.
    for (const arn of args.managedPolicyArns ?? [ssmCorePolicyArn(args.region)]) {
      const short = arn
        .split("/")
        .pop()!
        .replace(/[^A-Za-z0-9-]/g, "-");
      new aws.iam.RolePolicyAttachment(`${name}-${short}`, { role: this.role.name, policyArn: arn }, { parent: this });
    }

    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
    this.instanceProfileName = this.instanceProfile.name;
    this.instanceProfileArn = this.instanceProfile.arn;
    this.registerOutputs({
      roleArn: this.roleArn,
      roleName: this.roleName,
      instanceProfileName: this.instanceProfileName,
      instanceProfileArn: this.instanceProfileArn,
    });
  }
}
