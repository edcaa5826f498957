/**
 * ControlPlane: 1, 3 or 5 kubeadm control-plane instances spread round-robin over the private
 * subnets, registered in the API target group, with a role holding only what the AWS cloud
 * controller manager and the node's own bootstrap secret need.
 *
 * Replacement (docs/cluster.md, "Replacing a control-plane node"): instances are chained with
 * dependsOn (node 0 after the etcd resources, node i after node i-1) and deleted before they are
 * replaced, so Pulumi never replaces two of them at once and the etcd member count never grows;
 * a change of user data replaces the node (userDataReplaceOnChange) instead of rebooting it with
 * a configuration kubeadm has already consumed.
 */
import { API_PORT } from "../api-endpoint/settings";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlaneSpec } from "../config/spec";
import { AWS_NAME_LIMITS, awsName } from "../core/names";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { NODE_METADATA_OPTIONS } from "../node-pools/launch";
import { controlPlaneNodes, type ControlPlaneNode } from "./placement";
import { EC2_ASSUME_ROLE_POLICY, bootstrapSecretReadPolicy, cloudControllerManagerPolicy } from "./policy";

/** The API server's port, registered in the API target group. */

export interface ControlPlaneArgs {
  /** Cluster name (tags, names, the CCM policy's ownership tag). Required. */
  clusterName: string;
  /** AWS region (policy conditions). Required. */
  region: string;
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
  /**
   * Existing role(s) + instance profile(s) (e.g. the bootstrap's) to attach the CCM policy to: one
   * shared by every node, or one per node. @default a role and profile of its own
   */
  iam?: ControlPlaneIam | ControlPlaneIam[];
  /** Secrets the nodes may read (their bootstrap bundles); only with a role of its own. @default [] */
  bootstrapSecretArns?: pulumi.Input<string>[];
  /** The KMS key encrypting those secrets (decrypt only via Secrets Manager). @default undefined */
  bootstrapKmsKeyArn?: pulumi.Input<string>;
  /** Fixed private IPs, one per node (colocated on-host etcd members keep their address). @default undefined (assigned by AWS) */
  privateIps?: pulumi.Input<string>[];
  /** Resources the nodes come (and are replaced) after, e.g. dedicated etcd members. @default [] */
  after?: pulumi.Input<pulumi.Resource>[];
  /** Tags on every resource (cluster tags are always added). @default {} */
  tags?: Record<string, string>;
  /** KMS key for the root volumes. @default undefined (the account's default EBS key) */
  rootVolumeKmsKeyId?: pulumi.Input<string>;
}

export interface ControlPlaneIam {
  roleName: pulumi.Input<string>;
  instanceProfileName: pulumi.Input<string>;
}

export class ControlPlane extends pulumi.ComponentResource {
  readonly nodes: ControlPlaneNode[];
  readonly instances: aws.ec2.Instance[];
  readonly instanceIds: pulumi.Output<string>[];
  readonly privateIps: pulumi.Output<string>[];
  /** The role(s) the CCM policy is attached to (one, or one per node). */
  readonly roleNames: pulumi.Output<string>[];
  /** Instance profile per node. */
  readonly instanceProfileNames: pulumi.Output<string>[];

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("control-plane", "ControlPlane"), name, {}, opts);
    const cp = args.controlPlane;
    if (![1, 3, 5].includes(cp.count)) throw new Error(`ControlPlane ${name}: count must be 1, 3 or 5 (got ${cp.count})`);
    if (args.userData.length !== cp.count) throw new Error(`ControlPlane ${name}: ${cp.count} nodes need ${cp.count} user data entries (got ${args.userData.length})`);
    if (args.iam && args.bootstrapSecretArns?.length) {
      throw new Error(`ControlPlane ${name}: bootstrapSecretArns only apply to a role of its own; grant them on the role passed in iam`);
    }
    const extra = args.tags ?? {};
    const base = `${args.clusterName}-control-plane`;

    if (args.privateIps && args.privateIps.length !== cp.count) throw new Error(`ControlPlane ${name}: ${cp.count} nodes need ${cp.count} private IPs (got ${args.privateIps.length})`);
    if (Array.isArray(args.iam) && args.iam.length !== cp.count) {
      throw new Error(`ControlPlane ${name}: iam lists ${args.iam.length} roles for ${cp.count} nodes; give one shared or one per node`);
    }
    let iam: ControlPlaneIam[];
    if (args.iam) {
      iam = Array.isArray(args.iam) ? args.iam : [args.iam];
    } else {
      const role = new aws.iam.Role(`${name}-role`, {
        name: awsName(base, AWS_NAME_LIMITS.iamRole),
        description: `${args.clusterName} control-plane nodes: cloud controller manager and own bootstrap secret`,
        assumeRolePolicy: JSON.stringify(EC2_ASSUME_ROLE_POLICY),
        tags: clusterTags(args.clusterName, extra, base),
      }, { parent: this });
      const profile = new aws.iam.InstanceProfile(`${name}-profile`, {
        name: awsName(base, 128),
        role: role.name,
        tags: clusterTags(args.clusterName, extra, base),
      }, { parent: this });
      iam = [{ roleName: role.name, instanceProfileName: profile.name }];
      if (args.bootstrapSecretArns && args.bootstrapSecretArns.length > 0) {
        new aws.iam.RolePolicy(`${name}-bootstrap-secret`, {
          role: role.name,
          name: "bootstrap-secret",
          policy: pulumi.all([pulumi.all(args.bootstrapSecretArns), pulumi.output(args.bootstrapKmsKeyArn)])
            .apply(([arns, key]) => JSON.stringify(bootstrapSecretReadPolicy(arns, key, args.region))),
        }, { parent: this });
      }
    }
    const ccmJson = JSON.stringify(cloudControllerManagerPolicy(args.clusterName, args.region));
    const ccmPolicies = iam.map((x, i) => new aws.iam.RolePolicy(iam.length === 1 ? `${name}-ccm` : `${name}-ccm-${i}`, {
      role: x.roleName,
      name: "cloud-controller-manager",
      policy: ccmJson,
    }, { parent: this }));
    this.roleNames = iam.map((x) => pulumi.output(x.roleName));
    const profileOf = (i: number) => (iam.length === 1 ? iam[0]! : iam[i]!).instanceProfileName;
    const ccmOf = (i: number) => (ccmPolicies.length === 1 ? ccmPolicies[0]! : ccmPolicies[i]!);

    this.nodes = controlPlaneNodes(cp.count, args.privateSubnetIds.length);
    this.instances = [];
    for (const node of this.nodes) {
      const nodeName = `${base}-${node.index}`;
      const previous = this.instances[node.index - 1];
      const instance = new aws.ec2.Instance(`${name}-${node.index}`, {
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
          volumeSize: cp.rootVolumeGiB,
          volumeType: "gp3",
          encrypted: true,
          deleteOnTermination: true,
          ...(args.rootVolumeKmsKeyId ? { kmsKeyId: args.rootVolumeKmsKeyId } : {}),
          tags: clusterTags(args.clusterName, extra, `${nodeName}-root`),
        },
        monitoring: true,
        tags: { ...clusterTags(args.clusterName, extra, nodeName), "pulumi-kubeadm-aws:role": "control-plane" },
      }, {
        parent: this,
        // One at a time, after etcd: Pulumi replaces node i only once node i-1 is done.
        dependsOn: previous ? [previous, ccmOf(node.index)] : [...(args.after ?? []), ccmOf(node.index)] as pulumi.Input<pulumi.Resource>[],
        deleteBeforeReplace: true,
      });
      new aws.lb.TargetGroupAttachment(`${name}-${node.index}-api`, {
        targetGroupArn: args.targetGroupArn,
        targetId: instance.id,
        port: API_PORT,
      }, { parent: this, deleteBeforeReplace: true });
      this.instances.push(instance);
    }
    this.instanceIds = this.instances.map((i) => i.id);
    this.privateIps = this.instances.map((i) => i.privateIp);

    this.instanceProfileNames = this.nodes.map((n) => pulumi.output(profileOf(n.index)));
    this.registerOutputs({
      instanceIds: this.instanceIds,
      privateIps: this.privateIps,
      roleNames: this.roleNames,
      instanceProfileNames: this.instanceProfileNames,
    });
  }
}
