/**
 * Environment: what a cluster lives in, and what blue/green clusters share: the network (a Vpc it
 * builds, or an existing one: `existingNetwork`), the Bastion, the private Route53 zone for
 * `spec.api.domain` (associated with the VPC) and the etcd backup bucket (each cluster writes under
 * its own `frequent/<cluster>/` and `daily/<cluster>/` prefixes, so a green cluster can restore the
 * blue one's snapshots). Pass it to a Cluster with `clusterEnvironment(env)`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BackupBucket, backupBucketArgsOf } from "../backup/bucket";
import { Bastion } from "../bastion/bastion";
import type { ClusterSpec } from "../spec/spec";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { existingNetwork, type ExistingNetwork } from "./existing-network";
import type { SubnetPlan } from "../network/plan";
import { Vpc, type VpcArgs } from "../network/vpc";

/** What an Environment takes from a spec: the network, zones, bastion, API domain and exposure, backup retention, protection. */
export type EnvironmentSpec = Pick<
  ClusterSpec,
  "name" | "region" | "availabilityZones" | "network" | "tags" | "deletionProtection" | "bastion" | "api" | "backup"
>;

/** The Vpc's narrow args, read from a spec: what an Environment builds its network with. */
export function vpcArgsOf(
  spec: Pick<ClusterSpec, "name" | "region" | "availabilityZones" | "network" | "tags" | "deletionProtection">,
  extra: Partial<VpcArgs> = {},
): VpcArgs {
  return {
    clusterName: spec.name,
    region: spec.region,
    availabilityZones: spec.availabilityZones,
    network: spec.network,
    tags: spec.tags,
    retainFlowLogsOnDelete: spec.deletionProtection,
    ...extra,
  };
}

export interface EnvironmentArgs {
  /** The resolved cluster spec's environment fields (`EnvironmentSpec`). Required. */
  spec: EnvironmentSpec;
  /**
   * An existing network to live in (`existingNetwork({...})`); then no Vpc is built.
   * @default a new Vpc from `spec.network`, or `existingNetwork` of `spec.network.existing` when that is set
   */
  network?: ExistingNetwork;
  /** The bastion's AMI (the cluster's pinned node image); required when `spec.bastion.enabled`. @default undefined */
  bastionImageId?: pulumi.Input<string>;
  /** An EC2 key pair for SSH to the bastion. @default undefined */
  bastionKeyName?: pulumi.Input<string>;
  /** Days VPC flow logs are kept. @default 30 */
  flowLogRetentionDays?: number;
  /** An exact name for the backup bucket. @default undefined (auto-named `<spec.name>-etcd-backups-*`) */
  backupBucketName?: string;
  /**
   * Aliases of the backup bucket component, so that a bucket created elsewhere before (e.g. by a
   * Cluster, before the bucket moved to the Environment) is adopted instead of replaced.
   * @default [] (none)
   */
  backupBucketAliases?: pulumi.Input<string | pulumi.Alias>[];
}

/** How to reach nodes through the bastion. */
export interface BastionAccess {
  sshProxyJump: string;
  ssmCommand: string;
  findInstance: string;
}

/** The network an Environment lives in, built or existing: the network fields of the Cluster's seam, all set. */
export type EnvironmentNetwork = Pick<
  ExistingNetwork,
  "vpcId" | "vpcCidr" | "privateSubnetIds" | "privateSubnetCidrs" | "publicSubnetIds" | "natPublicIps"
>;

export class Environment extends pulumi.ComponentResource {
  /** The network: the one its Vpc built, or the existing one. */
  readonly vpc: EnvironmentNetwork;
  /** The Vpc it built (`<name>-network`); undefined when it lives in an existing network. */
  readonly builtVpc?: Vpc;
  /** The subnet plan of the Vpc it built; undefined for an existing network (its layout is not ours). */
  readonly subnetPlan?: SubnetPlan;
  readonly bastion?: Bastion;
  /** The private hosted zone of `domain`. */
  readonly zoneId: pulumi.Output<string>;
  readonly domain: string;
  /** Access lines; undefined without a bastion. */
  readonly bastionAccess?: BastionAccess;
  /** The etcd backup bucket shared by the environment's clusters. */
  readonly backupBucket: BackupBucket;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("environment", "Environment"), name, {}, opts);
    const { spec } = args;
    const existing =
      args.network ??
      (spec.network.existing
        ? existingNetwork(
            {
              ...spec.network.existing,
              vpcCidr: spec.network.vpcCidr,
              availabilityZones: spec.availabilityZones,
              argsPath: "cluster.network.existing",
            },
            { parent: this },
          )
        : undefined);
    if (existing) {
      this.vpc = existing;
    } else {
      const vpc = new Vpc(
        `${name}-network`,
        vpcArgsOf(spec, args.flowLogRetentionDays !== undefined ? { flowLogRetentionDays: args.flowLogRetentionDays } : {}),
        { parent: this },
      );
      this.builtVpc = vpc;
      this.subnetPlan = vpc.plan;
      this.vpc = {
        vpcId: vpc.vpcId,
        vpcCidr: vpc.plan.vpcCidr,
        privateSubnetIds: vpc.privateSubnetIds,
        privateSubnetCidrs: vpc.plan.private.map((s) => s.cidr),
        publicSubnetIds: vpc.publicSubnetIds,
        natPublicIps: vpc.natPublicIps,
      };
    }
    this.domain = spec.api.domain;
    const zone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: spec.api.domain,
        comment: `${spec.name}: private names (api.<cluster>.${spec.api.domain}); managed by pulumi-kubeadm-aws`,
        vpcs: [{ vpcId: this.vpc.vpcId, vpcRegion: spec.region }],
        tags: clusterTags(spec.name, spec.tags, spec.api.domain),
      },
      { parent: this },
    );
    this.zoneId = zone.zoneId;

    if (spec.bastion.enabled) {
      if (args.bastionImageId === undefined) throw new Error("Environment: bastion.enabled needs bastionImageId (the pinned node image)");
      this.bastion = new Bastion(
        `${name}-bastion`,
        {
          spec,
          vpcId: this.vpc.vpcId,
          vpcCidr: this.vpc.vpcCidr,
          publicSubnetIds: this.vpc.publicSubnetIds,
          imageId: args.bastionImageId,
          keyName: args.bastionKeyName,
        },
        { parent: this },
      );
      this.bastionAccess = {
        sshProxyJump: this.bastion.sshProxyJump,
        ssmCommand: this.bastion.ssmCommand,
        findInstance: this.bastion.findInstance,
      };
    }

    // Lifecycle from the spec's retention; protected and kept on destroy with deletionProtection.
    // SSE-S3: a KMS key would also need granting to every cluster's etcd members, which the
    // Cluster's seam does not carry (yet).
    this.backupBucket = new BackupBucket(
      `${name}-backups`,
      backupBucketArgsOf(spec, args.backupBucketName !== undefined ? { bucketName: args.backupBucketName } : {}),
      { parent: this, aliases: args.backupBucketAliases ?? [] },
    );
    this.registerOutputs({
      vpcId: this.vpc.vpcId,
      zoneId: this.zoneId,
      domain: this.domain,
      bastionAccess: this.bastionAccess,
      backupBucketName: this.backupBucket.bucketName,
      backupBucketArn: this.backupBucket.bucketArn,
    });
  }
}
