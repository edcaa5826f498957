/**
 * Bastion: a self-healing jump host (an autoscaling group of one) in the public subnets, from the
 * cluster's pinned node image. SSH only from an explicit allowlist; with an empty allowlist it has no
 * SSH ingress at all and is reached through SSM Session Manager, which is all its role may do.
 * IMDSv2 only with a hop limit of 1, encrypted root volume. It is the only instance with a public IP.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../spec/spec";
import { publishBootArtifacts } from "../core/artifacts";
import { NODE_METADATA_OPTIONS, launchTemplateRootVolume } from "../core/instance";
import { NodeRole } from "../iam/node-role";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { createRuleResources } from "../security/resources";
import { bastionRules } from "../security/rules";
import { accessLines } from "./access";
import { bastionCloudConfig } from "./userdata";

/** What the bastion takes from a spec: name, region, tags, its own settings, the VPC range and the API's exposure. */
export type BastionClusterSpec = Pick<ClusterSpec, "name" | "region" | "tags" | "bastion"> & {
  network: Pick<ClusterSpec["network"], "vpcCidr">;
  api: Pick<ClusterSpec["api"], "exposure">;
};

export interface BastionArgs {
  /** The resolved cluster spec's name, region, tags, `bastion` (instance type, SSH allowlist), `network.vpcCidr` and `api.exposure`. Required. */
  spec: BastionClusterSpec;
  /** The VPC the bastion's group belongs to. Required. */
  vpcId: pulumi.Input<string>;
  /** The VPC's range (the bastion may SSH to it). @default spec.network.vpcCidr */
  vpcCidr?: string;
  /** Public subnets to run in, one per AZ. Required. */
  publicSubnetIds: pulumi.Input<string>[];
  /** The AMI: the cluster's pinned node image (see `lookupImage`). Required. */
  imageId: pulumi.Input<string>;
  /** EC2 instance type. @default spec.bastion.instanceType */
  instanceType?: string;
  /** The image's login user. @default "ubuntu" */
  sshUser?: string;
  /** An EC2 key pair for SSH. @default undefined (keys come from EC2 Instance Connect or the image) */
  keyName?: pulumi.Input<string>;
  /** The image's root device. @default ROOT_DEVICE, "/dev/sda1" (Ubuntu) */
  rootDeviceName?: string;
  /** Root volume size, GiB. @default 16 */
  rootVolumeGiB?: number;
}

export class Bastion extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;
  /** The autoscaling group's name (plain: known at plan time). */
  readonly asgName: string;
  readonly roleArn: pulumi.Output<string>;
  /** `ssh -J` through the bastion to a node (NODE_IP); over SSM when SSH ingress is off. */
  readonly sshProxyJump: string;
  /** An SSM Session Manager shell on the bastion. */
  readonly ssmCommand: string;
  /** Prints the current bastion instance id. */
  readonly findInstance: string;

  constructor(name: string, args: BastionArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("bastion", "Bastion"), name, {}, opts);
    const { spec } = args;
    const p = { parent: this };
    const baseName = `${spec.name}-bastion`;
    const tags = clusterTags(spec.name, spec.tags, baseName);
    const sshUser = args.sshUser ?? "ubuntu";
    const allowlist = spec.bastion.sshAllowlist;
    if (allowlist.some((c) => c.endsWith("/0"))) throw new Error("bastion: 0.0.0.0/0 is not an SSH allowlist; name the client networks");

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        name: baseName,
        description: `${spec.name}: bastion (managed by pulumi-kubeadm-aws)`,
        vpcId: args.vpcId,
        revokeRulesOnDelete: true,
        tags,
      },
      p,
    );
    const rules = bastionRules({ sshAllowlist: allowlist, vpcCidr: args.vpcCidr ?? spec.network.vpcCidr, apiExposure: spec.api.exposure });
    createRuleResources({ name, rules, groupIds: { bastion: sg.id }, natIps: [], tags: clusterTags(spec.name, spec.tags) }, p);

    // The machine identity every role of the library has (iam/NodeRole), with SSM Session Manager's managed policy only.
    const role = new NodeRole(`${name}-iam`, { clusterName: spec.name, machineRole: "bastion", region: spec.region, tags: spec.tags }, p);

    const userData = bastionCloudConfig();
    publishBootArtifacts("bastion", [{ path: "cloud-init.yaml", content: userData }]);
    const lt = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: `${spec.name} bastion`,
        imageId: args.imageId,
        instanceType: args.instanceType ?? spec.bastion.instanceType,
        keyName: args.keyName,
        iamInstanceProfile: { arn: role.instanceProfileArn },
        userData: Buffer.from(userData).toString("base64"),
        metadataOptions: { ...NODE_METADATA_OPTIONS },
        blockDeviceMappings: [launchTemplateRootVolume(args.rootVolumeGiB ?? 16, undefined, args.rootDeviceName)],
        // The one public address in the cluster: asked for here, never by the subnets.
        networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "true", deleteOnTermination: "true", securityGroups: [sg.id] }],
        monitoring: { enabled: false },
        tagSpecifications: [
          { resourceType: "instance", tags },
          { resourceType: "volume", tags },
        ],
        updateDefaultVersion: true,
        tags,
      },
      p,
    );

    new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: baseName,
        minSize: 1,
        maxSize: 1,
        desiredCapacity: 1,
        vpcZoneIdentifiers: args.publicSubnetIds,
        launchTemplate: { id: lt.id, version: lt.latestVersion.apply((v) => String(v)) },
        healthCheckType: "EC2",
        healthCheckGracePeriod: 120,
        // A new launch template version (image, type) replaces the bastion.
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 0 } },
        tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
      },
      p,
    );

    this.securityGroupId = sg.id;
    this.asgName = baseName;
    this.roleArn = role.roleArn;
    const lines = accessLines({ region: spec.region, asgName: baseName, user: sshUser, sshEnabled: allowlist.length > 0 });
    this.sshProxyJump = lines.sshProxyJump;
    this.ssmCommand = lines.ssmCommand;
    this.findInstance = lines.findInstance;
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      asgName: this.asgName,
      sshProxyJump: this.sshProxyJump,
      ssmCommand: this.ssmCommand,
    });
  }
}
