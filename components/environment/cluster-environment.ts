/** Reads what a Cluster needs from an Environment built by this library. */
import type { Environment } from "./environment";
import type { ClusterEnvironment } from "./seam";

/**
 * The Environment's shared parts as Cluster args: its network (built or existing, every network
 * field set), zone, bastion and the shared backup bucket (so the Cluster creates none of its own);
 * `overrides` adds or replaces fields.
 */
export function clusterEnvironment(env: Environment, overrides: Partial<ClusterEnvironment> = {}): ClusterEnvironment {
  return {
    vpcId: env.vpc.vpcId,
    vpcCidr: env.vpc.vpcCidr,
    privateSubnetIds: env.vpc.privateSubnetIds,
    privateSubnetCidrs: env.vpc.privateSubnetCidrs,
    publicSubnetIds: env.vpc.publicSubnetIds,
    zoneId: env.zoneId,
    natPublicIps: env.vpc.natPublicIps,
    ...(env.bastion ? { bastionSecurityGroupId: env.bastion.securityGroupId } : {}),
    ...(env.bastionAccess ? { bastionAccess: env.bastionAccess.sshProxyJump } : {}),
    backupBucketName: env.backupBucket.bucketName,
    backupBucketArn: env.backupBucket.bucketArn,
    ...overrides,
  };
}
