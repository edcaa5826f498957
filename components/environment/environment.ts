/**
 * Environment: what a cluster lives in, and what blue/green clusters share: the Vpc, the Bastion and
 * the private Route53 zone for `spec.api.domain` (associated with the VPC). Later parts (a shared
 * backup bucket, ...) are added as further children here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Bastion } from "../bastion/bastion";
import type { ClusterSpec } from "../config/spec";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { Vpc } from "../network/vpc";

export interface EnvironmentArgs {
  /** The resolved cluster spec. Required. */
  spec: ClusterSpec;
  /** The bastion's AMI (the cluster's pinned node image); required when `spec.bastion.enabled`. @default undefined */
  bastionImageId?: pulumi.Input<string>;
  /** An EC2 key pair for SSH to the bastion. @default undefined */
  bastionKeyName?: pulumi.Input<string>;
  /** Days VPC flow logs are kept. @default 30 */
  flowLogRetentionDays?: number;
}

/** How to reach nodes through the bastion. */
export interface BastionAccess {
  sshProxyJump: string;
  ssmCommand: string;
  findInstance: string;
}

export class Environment extends pulumi.ComponentResource {
  readonly vpc: Vpc;
  readonly bastion?: Bastion;
  /** The private hosted zone of `domain`. */
  readonly zoneId: pulumi.Output<string>;
  readonly domain: string;
  /** Access lines; undefined without a bastion. */
  readonly bastionAccess?: BastionAccess;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("environment", "Environment"), name, {}, opts);
    const { spec } = args;
    this.vpc = new Vpc(`${name}-network`, { spec, flowLogRetentionDays: args.flowLogRetentionDays }, { parent: this });
    this.domain = spec.api.domain;
    const zone = new aws.route53.Zone(`${name}-zone`, {
      name: spec.api.domain,
      comment: `${spec.name}: private names (api.<cluster>.${spec.api.domain}); managed by pulumi-kubeadm-aws`,
      vpcs: [{ vpcId: this.vpc.vpcId, vpcRegion: spec.region }],
      tags: clusterTags(spec.name, spec.tags, spec.api.domain),
    }, { parent: this });
    this.zoneId = zone.zoneId;

    if (spec.bastion.enabled) {
      if (args.bastionImageId === undefined) throw new Error("Environment: bastion.enabled needs bastionImageId (the pinned node image)");
      this.bastion = new Bastion(`${name}-bastion`, {
        spec,
        vpcId: this.vpc.vpcId,
        vpcCidr: spec.network.vpcCidr,
        publicSubnetIds: this.vpc.publicSubnetIds,
        imageId: args.bastionImageId,
        keyName: args.bastionKeyName,
      }, { parent: this });
      this.bastionAccess = { sshProxyJump: this.bastion.sshProxyJump, ssmCommand: this.bastion.ssmCommand, findInstance: this.bastion.findInstance };
    }
    this.registerOutputs({ vpcId: this.vpc.vpcId, zoneId: this.zoneId, domain: this.domain, bastionAccess: this.bastionAccess });
  }
}
