/** Reads what a Cluster needs from an Environment built by this library. */
import type { Environment } from "../environment/environment";
import type { ClusterEnvironment } from "./seams";

/** The Environment's network side as Cluster args; `overrides` adds or replaces fields (e.g. a shared backup bucket). */
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
    ...overrides,
  };
}
