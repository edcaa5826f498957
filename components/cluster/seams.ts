/**
 * What a Cluster needs from the pieces around it, as plain typed interfaces. The Environment
 * provides the network side; the bootstrap side (PKI, per-role secrets, user data stubs) and the
 * API endpoint are built by the Cluster itself unless a caller passes its own implementation.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { NodePoolSpec } from "../config/spec";
import type { ControlPlaneNode } from "../control-plane/placement";

/** The parts of an Environment a cluster is built in. */
export interface ClusterEnvironment {
  /** The VPC. Required. */
  vpcId: pulumi.Input<string>;
  /** The VPC's range. @default spec.network.vpcCidr */
  vpcCidr?: string;
  /** Private subnets, one per AZ in spec.availabilityZones order. Required. */
  privateSubnetIds: pulumi.Input<string>[];
  /** The private subnets' CIDRs, same order (dedicated etcd computes fixed member addresses from them). @default read from AWS */
  privateSubnetCidrs?: pulumi.Input<string>[];
  /** Public subnets, one per AZ (internet-facing API load balancer). Required. */
  publicSubnetIds: pulumi.Input<string>[];
  /** The private hosted zone of spec.api.domain. @default undefined (no API record) */
  zoneId?: pulumi.Input<string>;
  /** The bastion's security group (nodes admit SSH from it). @default undefined */
  bastionSecurityGroupId?: pulumi.Input<string>;
  /** How to reach the cluster's private side (the bastion's ssh/SSM line). @default undefined */
  bastionAccess?: pulumi.Input<string>;
  /** NAT gateways' public IPs (a public API admits the nodes through them). @default [] */
  natPublicIps?: pulumi.Input<string>[];
  /** A backup bucket shared by the environment's clusters. @default undefined (the cluster creates its own) */
  backupBucketName?: pulumi.Input<string>;
  /** That bucket's ARN (dedicated etcd members are granted writes to it). @default arn:aws:s3:::<backupBucketName> */
  backupBucketArn?: pulumi.Input<string>;
}

/** The API front door the control plane registers in. */
export interface ClusterApiEndpoint {
  /** The stable API DNS name (`api.<cluster>.<domain>`). */
  apiName: string;
  /** The target group (TCP 6443) control-plane nodes register in. */
  targetGroupArn: pulumi.Input<string>;
}

/** One machine role's boot: a user data stub (no secret) and the identity that may read its secret. */
export interface RoleBoot {
  /** User data (plain text, cloud-config stub). Required. */
  userData: pulumi.Input<string>;
  /** The instance profile of this role: its IAM is part of its boot. Required. */
  instanceProfileName: pulumi.Input<string>;
  /** The IAM role behind it. @default undefined */
  roleName?: pulumi.Input<string>;
  /** (control plane) The node's fixed private IP, e.g. a colocated on-host etcd member's address. @default undefined (assigned by AWS) */
  privateIp?: pulumi.Input<string>;
}

/**
 * The bootstrap side of a cluster: trust (PKI), per-role boot material, and the admin kubeconfig.
 * `kubeadmBootstrap` (components/cluster/bootstrap.ts) builds it from ClusterPki and RoleBootstrap.
 */
export interface ClusterBootstrap {
  /** Boot of control-plane node `node` (node 0 inits, the others join --control-plane). */
  controlPlane(node: ControlPlaneNode): RoleBoot;
  /** Boot of a worker pool's nodes (join with the pool's labels and taints). */
  worker(pool: NodePoolSpec): RoleBoot;
  /** The KMS key encrypting the bootstrap secrets. @default undefined */
  kmsKeyArn?: pulumi.Input<string>;
  /** The admin kubeconfig (secret). */
  adminKubeconfig: pulumi.Output<string>;
  /** Resources the control plane must come after (e.g. dedicated etcd members). @default [] */
  controlPlaneAfter?: pulumi.Resource[];
}
