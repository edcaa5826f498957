/**
 * Bring your own network: `existingNetwork(...)` describes a VPC made elsewhere as the Cluster's
 * environment seam (`ClusterEnvironment`), much as CDK's `Vpc.fromLookup` returns an `IVpc`: it
 * creates nothing. What the caller does not give is read from AWS (`aws.ec2.getSubnet`: each
 * subnet's VPC, AZ and range, and so the private subnets' CIDRs), and the layout is checked there.
 * The checks are pure functions below, fed by those lookups at deploy time.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterEnvironment } from "./seam";
import { contains, parseCidr } from "../core/cidr";

const VPC_ID = /^vpc-[0-9a-z]+$/;
const SUBNET_ID = /^subnet-[0-9a-z]+$/;
const SUBNET_KINDS = ["publicSubnetIds", "privateSubnetIds"] as const;
type SubnetKind = (typeof SUBNET_KINDS)[number];
const ROLE: Record<SubnetKind, string> = {
  publicSubnetIds: "the public subnets (an internet-facing API load balancer, the bastion)",
  privateSubnetIds: "the private subnets (every node)",
};

export interface ExistingNetworkArgs {
  /** The VPC's id (`vpc-...`). Required. */
  vpcId: string;
  /**
   * The VPC's range (`a.b.c.d/n`); every subnet must lie in it. Required and plain, not looked up:
   * security group rules and the pod/service range checks are computed from it before anything is
   * deployed. A ClusterSpec's `network.vpcCidr`.
   */
  vpcCidr: string;
  /** The AZs the cluster spans, in order: subnet `i` of each list must be in `availabilityZones[i]`. Required. */
  availabilityZones: readonly string[];
  /** The private subnets (every node), one per AZ in `availabilityZones` order. Required. */
  privateSubnetIds: readonly string[];
  /** The public subnets (an internet-facing API load balancer, the bastion), one per AZ in that order. Required. */
  publicSubnetIds: readonly string[];
  /** The private subnets' CIDRs in that order (dedicated etcd derives member addresses from them). @default read from AWS (aws.ec2.getSubnet) */
  privateSubnetCidrs?: readonly string[];
  /** The public addresses the VPC's NAT gives the nodes (an internet-facing API admits them). @default [] (add them to api.allowedCidrs instead) */
  natPublicIps?: pulumi.Input<string>[];
  /** What error messages call these arguments, e.g. `cluster.network.existing` when they come from stack config. @default "existingNetwork" */
  argsPath?: string;
}

/** An existing network as the Cluster's seam: every network field of `ClusterEnvironment` is set. */
export type ExistingNetwork = ClusterEnvironment &
  Required<Pick<ClusterEnvironment, "vpcId" | "vpcCidr" | "privateSubnetIds" | "privateSubnetCidrs" | "publicSubnetIds" | "natPublicIps">>;

/** Problems with an existing network's arguments for a cluster over `availabilityZones`; empty when usable. */
export function existingNetworkProblems(
  args: {
    vpcId?: string;
    vpcCidr?: string;
    publicSubnetIds?: readonly string[];
    privateSubnetIds?: readonly string[];
    privateSubnetCidrs?: readonly string[];
  },
  availabilityZones: readonly string[],
): string[] {
  const out: string[] = [];
  const azs = `${availabilityZones.length} AZs (${availabilityZones.join(", ")})`;
  if (typeof args.vpcId !== "string") out.push("vpcId is required: the existing VPC's id (vpc-...)");
  else if (!VPC_ID.test(args.vpcId)) out.push(`vpcId "${args.vpcId}" is not a VPC id (vpc-...)`);
  if (typeof args.vpcCidr !== "string") out.push("vpcCidr is required: the existing VPC's range (a.b.c.d/n)");
  else if (!parseCidr(args.vpcCidr)) out.push(`vpcCidr "${args.vpcCidr}" is not an IPv4 CIDR (a.b.c.d/n with no host bits set)`);
  for (const kind of SUBNET_KINDS) {
    const ids = args[kind];
    if (!Array.isArray(ids)) {
      out.push(`${kind} is required: ${ROLE[kind]}, one subnet id per AZ in availabilityZones order (${availabilityZones.join(", ")})`);
      continue;
    }
    if (ids.length !== availabilityZones.length) {
      out.push(`${kind} has ${ids.length} subnet(s); the cluster spans ${azs}: give one per AZ, in that order`);
    }
    ids.forEach((id, i) => {
      if (typeof id !== "string" || !SUBNET_ID.test(id)) out.push(`${kind}[${i}] ${JSON.stringify(id)} is not a subnet id (subnet-...)`);
    });
  }
  const all = [...(args.publicSubnetIds ?? []), ...(args.privateSubnetIds ?? [])];
  const dup = all.filter((id, i) => all.indexOf(id) !== i);
  if (dup.length > 0) out.push(`subnet(s) listed more than once: ${[...new Set(dup)].join(", ")}`);
  const cidrs = args.privateSubnetCidrs;
  if (cidrs !== undefined) {
    if (cidrs.length !== (args.privateSubnetIds ?? []).length)
      out.push(
        `privateSubnetCidrs has ${cidrs.length} range(s) for ${(args.privateSubnetIds ?? []).length} private subnet(s): one per subnet, same order`,
      );
    cidrs.forEach((c, i) => {
      if (!parseCidr(c)) out.push(`privateSubnetCidrs[${i}] "${c}" is not an IPv4 CIDR`);
    });
  }
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
  kind: SubnetKind,
  observed: ObservedSubnet[],
  vpcId: string,
  vpcCidr: string,
  availabilityZones: readonly string[],
): string[] {
  const out: string[] = [];
  const vpc = parseCidr(vpcCidr);
  observed.forEach((s, i) => {
    const at = `${kind}[${i}] ${s.id}`;
    if (s.vpcId !== vpcId) out.push(`${at} is in ${s.vpcId}, not in ${vpcId}`);
    if (s.availabilityZone !== availabilityZones[i])
      out.push(`${at} is in ${s.availabilityZone}; expected ${availabilityZones[i]} (one subnet per AZ, in availabilityZones order)`);
    const c = parseCidr(s.cidrBlock);
    if (vpc && c && !contains(vpc, c))
      out.push(`${at} (${s.cidrBlock}) is outside vpcCidr ${vpcCidr}; set vpcCidr (network.vpcCidr) to the VPC's range`);
  });
  return out;
}

/**
 * An existing VPC as the Cluster's environment seam (`new Cluster(name, { spec, environment:
 * existingNetwork({...}) })`, or an Environment's `network`). Throws at once, naming the argument,
 * when an argument is missing or malformed; at deploy time one check over every subnet (one error
 * listing every problem) gates every id it returns, so nothing is placed in a misplaced subnet.
 */
export function existingNetwork(args: ExistingNetworkArgs, opts?: pulumi.InvokeOptions): ExistingNetwork {
  const where = args.argsPath ?? "existingNetwork";
  const azs = [...(args.availabilityZones ?? [])];
  if (azs.length === 0) throw new Error(`${where}: availabilityZones is required: the AZs the cluster spans, in order`);
  const problems = existingNetworkProblems(args, azs);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join("; ")}`);
  const observe = (ids: readonly string[]) =>
    pulumi
      .all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, opts)))
      .apply((list) =>
        list.map((s): ObservedSubnet => ({ id: s.id, vpcId: s.vpcId, availabilityZone: s.availabilityZone, cidrBlock: s.cidrBlock })),
      );
  // One check over every subnet, in one apply: a misplaced layout is reported once, with all its
  // problems, and every id below waits for it.
  const checked = pulumi.all([observe(args.publicSubnetIds), observe(args.privateSubnetIds)]).apply(([pub, priv]) => {
    const p = [
      ...observedSubnetProblems("publicSubnetIds", pub, args.vpcId, args.vpcCidr, azs),
      ...observedSubnetProblems("privateSubnetIds", priv, args.vpcId, args.vpcCidr, azs),
      ...(args.privateSubnetCidrs ?? []).flatMap((c, i) =>
        priv[i] && priv[i]!.cidrBlock !== c
          ? [`privateSubnetCidrs[${i}] ${c} is not the range of ${priv[i]!.id} (${priv[i]!.cidrBlock})`]
          : [],
      ),
    ];
    if (p.length > 0) throw new Error(`${where}: the subnets do not match the cluster's layout: ${p.join("; ")}`);
    return priv.map((s) => s.cidrBlock);
  });
  const gated = <T>(value: T) => checked.apply(() => value);
  return {
    vpcId: gated(args.vpcId),
    vpcCidr: args.vpcCidr,
    privateSubnetIds: args.privateSubnetIds.map(gated),
    privateSubnetCidrs: args.privateSubnetCidrs
      ? args.privateSubnetCidrs.map(gated)
      : args.privateSubnetIds.map((_, i) => checked.apply((c) => c[i]!)),
    publicSubnetIds: args.publicSubnetIds.map(gated),
    natPublicIps: args.natPublicIps ?? [],
  };
}
