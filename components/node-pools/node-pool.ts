/**
 * NodePool: a launch template + Auto Scaling group over the private subnets (docs/design.md,
 * "Node pools are a launch template and an Auto Scaling group"). Labels and taints reach the node
 * through its join configuration (the user data the caller renders for the pool); the group carries
 * the matching cluster-autoscaler tags.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NodePoolSpec } from "../spec/spec";
import { AWS_NAME_LIMITS, awsName } from "../core/names";
import { clusterTags, ROLE_TAGS } from "../core/tags";
import { typeToken } from "../core/tokens";
import { NODE_METADATA_OPTIONS, launchTemplateRootVolume } from "../core/instance";
import { instanceRefresh, mixedInstancesPolicy, needsMixedInstances } from "./launch";
import { effectivePool, poolProblems } from "./presets";
import { asgTags } from "./tags";

/** A pool's Auto Scaling group name, `<cluster>-<pool>` within AWS's limit (its workers' health policy names it). */
export function poolGroupName(clusterName: string, poolName: string): string {
  return awsName(`${clusterName}-${poolName}`, AWS_NAME_LIMITS.autoScalingGroup);
}

export interface NodePoolArgs {
  /** Cluster name (tags, resource names). Required. */
  clusterName: string;
  /** The pool: preset, instance types, sizes, labels, taints, spot, refresh. Required. */
  pool: NodePoolSpec;
  /** Private subnets the group spreads over (one per AZ). Required. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Security groups of the worker nodes. Required. */
  securityGroupIds: pulumi.Input<string>[];
  /** AMI id: the node image, or the GPU image for a gpu pool (see `poolImageVariant`). Required. */
  imageId: pulumi.Input<string>;
  /** Instance profile of the pool's nodes (reads only the worker join secret). Required. */
  instanceProfileName: pulumi.Input<string>;
  /** User data (plain text; base64-encoded here): the worker bootstrap stub carrying no secret. Required. */
  userData: pulumi.Input<string>;
  /** Target groups to register the pool's instances in (e.g. the ingress load balancer's). @default [] */
  targetGroupArns?: pulumi.Input<string>[];
  /** Tags added to every resource (cluster tags are always added). @default {} */
  tags?: Record<string, string>;
  /** KMS key for the root volumes. @default undefined (the account's default EBS key) */
  rootVolumeKmsKeyId?: string;
}

export class NodePool extends pulumi.ComponentResource {
  /** The pool as deployed (GPU/ingress taints ensured). */
  readonly pool: NodePoolSpec;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  readonly group: aws.autoscaling.Group;
  /** The Auto Scaling group's name (what the cluster autoscaler and the ingress load balancer refer to). */
  readonly autoScalingGroupName: pulumi.Output<string>;
  /** Instance types the pool may launch, first preferred. */
  readonly instanceTypes: string[];

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("node-pools", "NodePool"), name, {}, opts);
    const pool = effectivePool(args.pool);
    const problems = poolProblems(pool);
    if (problems.length > 0) throw new Error(`NodePool ${name}: ${problems.join("; ")}`);
    this.pool = pool;
    this.instanceTypes = [...pool.instanceTypes];
    const extra = args.tags ?? {};
    const instanceName = `${args.clusterName}-${pool.name}`;
    const mixed = needsMixedInstances(pool);

    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        name: awsName(instanceName, 128),
        description: `${args.clusterName} node pool ${pool.name} (${pool.preset})`,
        imageId: args.imageId,
        // With a mixed instances policy the types come from its overrides.
        instanceType: mixed ? undefined : pool.instanceTypes[0],
        iamInstanceProfile: { name: args.instanceProfileName },
        metadataOptions: { ...NODE_METADATA_OPTIONS },
        blockDeviceMappings: [launchTemplateRootVolume(pool.rootVolumeGiB, args.rootVolumeKmsKeyId)],
        networkInterfaces: [
          {
            deviceIndex: 0,
            associatePublicIpAddress: "false",
            deleteOnTermination: "true",
            securityGroups: args.securityGroupIds,
          },
        ],
        monitoring: { enabled: true },
        userData: pulumi.output(args.userData).apply((u) => Buffer.from(u, "utf8").toString("base64")),
        updateDefaultVersion: true,
        tagSpecifications: [
          {
            resourceType: "instance",
            tags: { ...clusterTags(args.clusterName, extra, instanceName), [ROLE_TAGS.nodePool]: pool.name },
          },
          {
            resourceType: "volume",
            tags: { ...clusterTags(args.clusterName, extra, `${instanceName}-root`), [ROLE_TAGS.nodePool]: pool.name },
          },
        ],
        tags: clusterTags(args.clusterName, extra, instanceName),
      },
      { parent: this },
    );

    const version = this.launchTemplate.latestVersion.apply((v) => String(v));
    this.group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: poolGroupName(args.clusterName, pool.name),
        vpcZoneIdentifiers: args.privateSubnetIds,
        minSize: pool.minSize,
        maxSize: pool.maxSize,
        desiredCapacity: pool.desiredSize,
        ...(mixed
          ? { mixedInstancesPolicy: mixedInstancesPolicy(pool, this.launchTemplate.id, version) }
          : { launchTemplate: { id: this.launchTemplate.id, version } }),
        capacityRebalance: pool.spot !== undefined,
        // EC2 status checks only; a node whose boot failed for good marks itself Unhealthy
        // (autoscaling:SetInstanceHealth, docs/bootstrap.md "Failed workers") and is replaced.
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        instanceRefresh: instanceRefresh(pool),
        targetGroupArns: args.targetGroupArns ?? [],
        tags: asgTags(args.clusterName, extra, pool, instanceName),
      },
      {
        parent: this,
        // The cluster autoscaler owns the size once it runs; Pulumi sets it only at creation.
        ignoreChanges: ["desiredCapacity"],
      },
    );
    this.autoScalingGroupName = this.group.name;

    this.registerOutputs({
      autoScalingGroupName: this.autoScalingGroupName,
      launchTemplateId: this.launchTemplate.id,
      instanceTypes: this.instanceTypes,
    });
  }
}
