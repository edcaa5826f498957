/**
 * ControlPlane: 1, 3 or 5 kubeadm control-plane instances spread round-robin over the private
 * subnets, registered in the API target group. Each node's instance profile comes with its boot
 * (RoleBootstrap: the role reads the node's own bundle and holds the cloud controller manager's
 * policy); the ControlPlane creates no IAM of its own, so there is one way a role is wired.
 *
 * Replacement (docs/cluster.md, "Replacing a control-plane node"): instances are chained with
 * dependsOn (node 0 after the etcd resources, node i after node i-1) and deleted before they are
 * replaced, so Pulumi never replaces two of them at once and the etcd member count never grows;
 * a change of user data replaces the node (userDataReplaceOnChange) instead of rebooting it with
 * a configuration kubeadm has already consumed.
 */
import { PORTS } from "../core/ports";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlaneSpec } from "../spec/spec";
import { clusterTags, ROLE_TAGS } from "../core/tags";
import { typeToken } from "../core/tokens";
import { NODE_METADATA_OPTIONS, instanceRootVolume } from "../core/instance";
import { controlPlaneNodes, type ControlPlaneNode } from "./placement";

export interface ControlPlaneArgs {
  /** Cluster name (tags, names). Required. */
  clusterName: string;
  /** Node count, instance type and root volume size. Required. */
  controlPlane: ControlPlaneSpec;
  /** Private subnets, one per AZ in order; node i goes to subnet i mod n. Required. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Security groups of the control-plane nodes. Required. */
  securityGroupIds: pulumi.Input<string>[];
  /** The API load balancer's target group (TCP 6443). Required. */
  targetGroupArn: pulumi.Input<string>;
  /** AMI id of the node image. Required. */
  imageId: pulumi.Input<string>;
  /** User data per node, `controlPlane.count` entries (node 0: init, others: join --control-plane); stubs without secrets. Required. */
  userData: pulumi.Input<string>[];
  /** The instance profile of each node, `controlPlane.count` entries, from its boot (`RoleBoot.instanceProfileName`). Required. */
  instanceProfileNames: pulumi.Input<string>[];
  /** Fixed private IPs, one per node (colocated on-host etcd members keep their address). @default undefined (assigned by AWS) */
  privateIps?: pulumi.Input<string>[];
  /** Resources the nodes come (and are replaced) after, e.g. dedicated etcd members. @default [] */
  after?: pulumi.Input<pulumi.Resource>[];
  /** Tags on every resource (cluster tags are always added). @default {} */
  tags?: Record<string, string>;
  /** KMS key for the root volumes. @default undefined (the account's default EBS key) */
  rootVolumeKmsKeyId?: pulumi.Input<string>;
}

export class ControlPlane extends pulumi.ComponentResource {
  readonly nodes: ControlPlaneNode[];
  readonly instances: aws.ec2.Instance[];
  readonly instanceIds: pulumi.Output<string>[];
  readonly privateIps: pulumi.Output<string>[];
  /** Instance profile per node. */
  readonly instanceProfileNames: pulumi.Output<string>[];

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("control-plane", "ControlPlane"), name, {}, opts);
    const cp = args.controlPlane;
    if (![1, 3, 5].includes(cp.count)) throw new Error(`ControlPlane ${name}: count must be 1, 3 or 5 (got ${cp.count})`);
    if (args.userData.length !== cp.count)
      throw new Error(`ControlPlane ${name}: ${cp.count} nodes need ${cp.count} user data entries (got ${args.userData.length})`);
    const extra = args.tags ?? {};
    const base = `${args.clusterName}-control-plane`;

    if (args.privateIps && args.privateIps.length !== cp.count)
      throw new Error(`ControlPlane ${name}: ${cp.count} nodes need ${cp.count} private IPs (got ${args.privateIps.length})`);
    if (args.instanceProfileNames.length !== cp.count) {
      throw new Error(
        `ControlPlane ${name}: ${cp.count} nodes need ${cp.count} instance profiles (got ${args.instanceProfileNames.length})`,
      );
    }
    const profileOf = (i: number) => args.instanceProfileNames[i]!;

    this.nodes = controlPlaneNodes(cp.count, args.privateSubnetIds.length);
    this.instances = [];
    for (const node of this.nodes) {
      const nodeName = `${base}-${node.index}`;
      const previous = this.instances[node.index - 1];
      const instance = new aws.ec2.Instance(
        `${name}-${node.index}`,
        {
          ami: args.imageId,
          instanceType: cp.instanceType,
          subnetId: args.privateSubnetIds[node.azIndex]!,
          vpcSecurityGroupIds: args.securityGroupIds,
          associatePublicIpAddress: false,
          ...(args.privateIps ? { privateIp: args.privateIps[node.index]! } : {}),
          iamInstanceProfile: profileOf(node.index),
          userData: args.userData[node.index]!,
          userDataReplaceOnChange: true,
          metadataOptions: { ...NODE_METADATA_OPTIONS },
          rootBlockDevice: {
            ...instanceRootVolume(cp.rootVolumeGiB, args.rootVolumeKmsKeyId),
            tags: clusterTags(args.clusterName, extra, `${nodeName}-root`),
          },
          monitoring: true,
          tags: { ...clusterTags(args.clusterName, extra, nodeName), [ROLE_TAGS.role]: "control-plane" },
        },
        {
          parent: this,
          // One at a time, after etcd: Pulumi replaces node i only once node i-1 is done.
          dependsOn: previous ? [previous] : ([...(args.after ?? [])] as pulumi.Input<pulumi.Resource>[]),
          deleteBeforeReplace: true,
        },
      );
      new aws.lb.TargetGroupAttachment(
        `${name}-${node.index}-api`,
        {
          targetGroupArn: args.targetGroupArn,
          targetId: instance.id,
          port: PORTS.api,
        },
        { parent: this, deleteBeforeReplace: true },
      );
      this.instances.push(instance);
    }
    this.instanceIds = this.instances.map((i) => i.id);
    this.privateIps = this.instances.map((i) => i.privateIp);

    this.instanceProfileNames = this.nodes.map((n) => pulumi.output(profileOf(n.index)));
    this.registerOutputs({
      instanceIds: this.instanceIds,
      privateIps: this.privateIps,
      instanceProfileNames: this.instanceProfileNames,
    });
  }
}
