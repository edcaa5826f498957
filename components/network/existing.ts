/**
 * Bring your own VPC: checks of an existing VPC's ids (pure), and of what AWS reports about its
 * subnets (pure, fed by `aws.ec2.getSubnet` results at deploy time).
 */
import type { ExistingVpcSpec } from "../config/spec";
import { contains, parseCidr } from "../core/cidr";

const VPC_ID = /^vpc-[0-9a-z]+$/;
const SUBNET_ID = /^subnet-[0-9a-z]+$/;

/** Problems with an existing VPC's ids for a cluster over `availabilityZones`; empty when usable. */
export function existingVpcProblems(existing: ExistingVpcSpec, availabilityZones: string[]): string[] {
  const out: string[] = [];
  if (!VPC_ID.test(existing.vpcId)) out.push(`vpcId "${existing.vpcId}" is not a VPC id (vpc-...)`);
  for (const kind of ["publicSubnetIds", "privateSubnetIds"] as const) {
    const ids = existing[kind];
    if (ids.length !== availabilityZones.length) {
      out.push(`${kind} has ${ids.length} subnet(s); the cluster spans ${availabilityZones.length} AZs (${availabilityZones.join(", ")}): give one per AZ, in that order`);
    }
    ids.forEach((id, i) => {
      if (!SUBNET_ID.test(id)) out.push(`${kind}[${i}] "${id}" is not a subnet id (subnet-...)`);
    });
  }
  const all = [...existing.publicSubnetIds, ...existing.privateSubnetIds];
  const dup = all.filter((id, i) => all.indexOf(id) !== i);
  if (dup.length > 0) out.push(`subnet(s) listed more than once: ${[...new Set(dup)].join(", ")}`);
  return out;
}

/** What AWS reports about one subnet (a subset of `aws.ec2.getSubnet`'s result). */
export interface ObservedSubnet {
  id: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
}

/**
 * Problems with the subnets AWS reports: each must be in the given VPC, inside the VPC range the
 * cluster was planned with, and in the AZ at its index (the cluster's per-AZ resources rely on it).
 */
export function observedSubnetProblems(
  kind: "publicSubnetIds" | "privateSubnetIds", observed: ObservedSubnet[], vpcId: string, vpcCidr: string, availabilityZones: string[],
): string[] {
  const out: string[] = [];
  const vpc = parseCidr(vpcCidr);
  observed.forEach((s, i) => {
    const at = `${kind}[${i}] ${s.id}`;
    if (s.vpcId !== vpcId) out.push(`${at} is in ${s.vpcId}, not in ${vpcId}`);
    if (s.availabilityZone !== availabilityZones[i]) out.push(`${at} is in ${s.availabilityZone}; expected ${availabilityZones[i]} (one subnet per AZ, in availabilityZones order)`);
    const c = parseCidr(s.cidrBlock);
    if (vpc && c && !contains(vpc, c)) out.push(`${at} (${s.cidrBlock}) is outside network.vpcCidr ${vpcCidr}; set network.vpcCidr to the VPC's range`);
  });
  return out;
}
