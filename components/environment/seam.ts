/**
 * The seam between an environment and the clusters built in it: what a Cluster needs from the network,
 * the zone, the bastion and the shared backup bucket. An Environment provides it (`clusterEnvironment`), so
 * does a network built elsewhere (`existingNetwork`); a Cluster takes nothing else from its surroundings.
 */
import type * as pulumi from "@pulumi/pulumi";

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
  /** That bucket's ARN (dedicated etcd members are granted writes to it). @default the bucket's ARN in the region's partition (`bucketArn`) */
  backupBucketArn?: pulumi.Input<string>;
}
