/** Reads what a Cluster needs from an Environment built by this library. */
import type { Environment } from "../environment/environment";
import type { ClusterEnvironment } from "./seams";

/**
 * The Environment's shared parts as Cluster args: network, zone, bastion and the shared backup
 * bucket (so the Cluster creates none of its own); `overrides` adds or replaces fields.
 */
export function clusterEnvironment(env: Environment, overrides: Partial<ClusterEnvironment> = {}): ClusterEnvironment {
  return {
    vpcId: env.vpc.vpcId,
    privateSubnetIds: env.vpc.privateSubnetIds,
    ...(env.vpc.plan ? { privateSubnetCidrs: env.vpc.plan.private.map((s) => s.cidr) } : {}),
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
