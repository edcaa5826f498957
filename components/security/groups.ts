/**
 * ClusterSecurityGroups: one security group per cluster role (API load balancer, control plane,
 * etcd, workers) and every rule of `clusterRules` as its own resource. The bastion's group belongs
 * to the bastion (it is created with the environment and shared by every cluster in it); pass its id
 * so that the nodes admit SSH from it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../spec/spec";
import { clusterTags, ownershipTagKey } from "../core/tags";
import { typeToken } from "../core/tokens";
import { createRuleResources } from "./resources";
import { clusterRules, instanceGroups, type Role, type SgRule } from "./rules";

export type ClusterRole = Exclude<Role, "bastion">;
export const CLUSTER_ROLES: readonly ClusterRole[] = ["apiLb", "controlPlane", "etcd", "workers"];

/** AWS group names: `<cluster>-<role>`. */
const GROUP_NAMES: Record<ClusterRole, string> = { apiLb: "api-lb", controlPlane: "control-plane", etcd: "etcd", workers: "workers" };

/** The parts of a ClusterSpec the security groups use (a whole ClusterSpec will do). */
export type SecurityGroupsSpec = Pick<ClusterSpec, "name" | "tags" | "api" | "bastion" | "network"> & {
  etcd: Pick<ClusterSpec["etcd"], "topology">;
};

export interface ClusterSecurityGroupsArgs {
  /** What it reads of the cluster spec: name, tags, api exposure and allowlist, the bastion's SSH allowlist, etcd topology, VPC range. Required. */
  spec: SecurityGroupsSpec;
  /** The VPC the groups belong to. Required. */
  vpcId: pulumi.Input<string>;
  /** The VPC's range. @default spec.network.vpcCidr */
  vpcCidr?: string;
  /** The bastion's group: nodes admit SSH from it (and an internal API LB the operator's tunnel). @default undefined (no SSH ingress on nodes) */
  bastionSecurityGroupId?: pulumi.Input<string>;
  /** Public addresses of the VPC's NAT gateways: an internet-facing API LB admits the nodes' API traffic from them. @default [] */
  natPublicIps?: pulumi.Input<string>[];
}

export class ClusterSecurityGroups extends pulumi.ComponentResource {
  /** Group id by role (the bastion's only when it was given). */
  readonly groupIds: Record<ClusterRole, pulumi.Output<string>> & { bastion?: pulumi.Output<string> };
  /** The groups to attach to each kind of instance (colocated control planes carry the etcd group too). */
  readonly instanceGroupIds: { controlPlane: pulumi.Output<string>[]; etcd: pulumi.Output<string>[]; workers: pulumi.Output<string>[] };
  /** The rule set these groups were built from (pure data, for documentation and checks). */
  readonly rules: SgRule[];

  constructor(name: string, args: ClusterSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("security", "ClusterSecurityGroups"), name, {}, opts);
    const { spec } = args;
    const natIps = args.natPublicIps ?? [];
    const exposure = spec.api.exposure;
    this.rules = clusterRules({
      bastion: args.bastionSecurityGroupId !== undefined,
      sshAllowlist: spec.bastion.sshAllowlist,
      apiExposure: exposure,
      apiAllowedCidrs: spec.api.allowedCidrs,
      vpcCidr: args.vpcCidr ?? spec.network.vpcCidr,
      natEgress: exposure === "public" && natIps.length > 0,
    });

    const groups = {} as Record<ClusterRole, aws.ec2.SecurityGroup>;
    for (const role of CLUSTER_ROLES) {
      const groupName = `${spec.name}-${GROUP_NAMES[role]}`;
      const tags = clusterTags(spec.name, spec.tags, groupName);
      // The AWS cloud provider expects exactly one group carrying the cluster tag per instance; a
      // colocated control plane carries the etcd group too, so that one goes without it.
      if (role === "etcd") delete tags[ownershipTagKey(spec.name)];
      groups[role] = new aws.ec2.SecurityGroup(
        `${name}-${role}`,
        {
          name: groupName,
          description: `${spec.name} cluster: ${GROUP_NAMES[role]} (managed by pulumi-kubeadm-aws)`,
          vpcId: args.vpcId,
          revokeRulesOnDelete: true,
          tags,
        },
        { parent: this },
      );
    }
    const ids: Partial<Record<Role, pulumi.Input<string>>> = Object.fromEntries(CLUSTER_ROLES.map((r) => [r, groups[r].id]));
    if (args.bastionSecurityGroupId !== undefined) ids.bastion = args.bastionSecurityGroupId;
    createRuleResources({ name, rules: this.rules, groupIds: ids, natIps, tags: clusterTags(spec.name, spec.tags) }, { parent: this });

    const groupIds = Object.fromEntries(CLUSTER_ROLES.map((r) => [r, groups[r].id])) as Record<ClusterRole, pulumi.Output<string>> & {
      bastion?: pulumi.Output<string>;
    };
    if (args.bastionSecurityGroupId !== undefined) groupIds.bastion = pulumi.output(args.bastionSecurityGroupId);
    this.groupIds = groupIds;
    const member = instanceGroups(spec.etcd.topology);
    const pick = (roles: Role[]) => roles.map((r) => groupIds[r as ClusterRole]);
    this.instanceGroupIds = { controlPlane: pick(member.controlPlane), etcd: pick(member.etcd), workers: pick(member.workers) };
    this.registerOutputs({ groupIds: this.groupIds, instanceGroupIds: this.instanceGroupIds });
  }
}
