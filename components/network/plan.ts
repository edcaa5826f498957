/**
 * The VPC's CIDR plan: a pure, deterministic, per-AZ layout (docs/design.md, "Stable subnets: a
 * pure per-AZ CIDR plan").
 *
 * The VPC range (/16../22, prefix p) is cut into eight equal blocks of /(p+3):
 *
 *   blocks 0..3  private subnets, one whole block per AZ slot (nodes live here, so they get the most room)
 *   block  4     public subnets: the block cut in four /(p+5), one per AZ slot (NAT, NLB, bastion)
 *   block  5     isolated subnets: the block cut in four /(p+5), one per AZ slot (no route out)
 *   blocks 6..7  reserved for subnet kinds added later
 *
 * Every subnet's range depends only on (VPC range, kind, AZ index): adding an AZ, or turning on a
 * subnet kind, adds subnets and never moves an existing one. A /16 gives /19 private and /21 public
 * subnets; a /22 gives /25 private and /27 public subnets (an NLB needs at least a /27).
 */
import { contains, formatCidr, overlaps, parseCidr, subnet, type Cidr } from "../core/cidr";

export type SubnetKind = "public" | "private" | "isolated";

/** AZ slots the layout reserves room for (a cluster spans 2 or 3; one more can be added later). */
export const MAX_AZS = 4;
/** VPC prefixes the plan supports. */
export const MIN_VPC_PREFIX = 16;
export const MAX_VPC_PREFIX = 22;

/** Where each kind lives: the /(p+3) block, and how many extra bits cut it per AZ slot. */
const LAYOUT: Readonly<Record<SubnetKind, { block: number; extraBits: number }>> = {
  private: { block: 0, extraBits: 0 }, // blocks 0..3 themselves
  public: { block: 4, extraBits: 2 },
  isolated: { block: 5, extraBits: 2 },
};

export interface PlannedSubnet {
  kind: SubnetKind;
  /** Index into the stack's pinned AZ list. */
  azIndex: number;
  availabilityZone: string;
  cidr: string;
}

export interface SubnetPlan {
  vpcCidr: string;
  /** One per AZ, in AZ order. */
  public: PlannedSubnet[];
  /** One per AZ, in AZ order. */
  private: PlannedSubnet[];
  /** One per AZ, in AZ order; empty unless isolated subnets were asked for. */
  isolated: PlannedSubnet[];
}

export interface PlanSubnetsArgs {
  /** The VPC range, /16../22. Required. */
  vpcCidr: string;
  /** The pinned AZ names (their order is the plan's index), or just a count (names become `az0`, `az1`, ...). Required. */
  availabilityZones: string[] | number;
  /** Plan isolated subnets too. @default false */
  isolated?: boolean;
}

/** The CIDR of one subnet kind in one AZ slot; a pure function of (VPC range, kind, AZ index). */
export function subnetCidr(vpc: Cidr, kind: SubnetKind, azIndex: number): Cidr {
  if (!Number.isInteger(azIndex) || azIndex < 0 || azIndex >= MAX_AZS) throw new Error(`AZ index ${azIndex} is outside 0..${MAX_AZS - 1}`);
  const { block, extraBits } = LAYOUT[kind];
  if (kind === "private") return subnet(vpc, vpc.prefix + 3, block + azIndex);
  return subnet(subnet(vpc, vpc.prefix + 3, block), vpc.prefix + 3 + extraBits, azIndex);
}

/** The deterministic subnet plan for a VPC range and AZ list. Throws on an unsupported range or AZ count. */
export function planSubnets(args: PlanSubnetsArgs): SubnetPlan {
  const vpc = parseCidr(args.vpcCidr);
  if (!vpc) throw new Error(`vpcCidr "${args.vpcCidr}" is not a valid IPv4 CIDR`);
  if (vpc.prefix < MIN_VPC_PREFIX || vpc.prefix > MAX_VPC_PREFIX) {
    throw new Error(`vpcCidr ${args.vpcCidr}: prefix /${vpc.prefix} is outside /${MIN_VPC_PREFIX}../${MAX_VPC_PREFIX}`);
  }
  const azs =
    typeof args.availabilityZones === "number"
      ? Array.from({ length: args.availabilityZones }, (_, i) => `az${i}`)
      : args.availabilityZones;
  if (azs.length < 1 || azs.length > MAX_AZS) throw new Error(`the plan supports 1..${MAX_AZS} AZs, got ${azs.length}`);
  const kind = (k: SubnetKind) =>
    azs.map((az, i) => ({ kind: k, azIndex: i, availabilityZone: az, cidr: formatCidr(subnetCidr(vpc, k, i)) }));
  return {
    vpcCidr: formatCidr(vpc),
    public: kind("public"),
    private: kind("private"),
    isolated: args.isolated ? kind("isolated") : [],
  };
}

/** Every subnet of a plan, in a stable order. */
export function allSubnets(plan: SubnetPlan): PlannedSubnet[] {
  return [...plan.public, ...plan.private, ...plan.isolated];
}

/** Problems with a plan (overlaps, ranges outside the VPC, subnets smaller than AWS allows); empty when sound. */
export function planProblems(plan: SubnetPlan): string[] {
  const vpc = parseCidr(plan.vpcCidr)!;
  const subnets = allSubnets(plan).map((s) => ({ s, c: parseCidr(s.cidr)! }));
  const out: string[] = [];
  subnets.forEach(({ s, c }, i) => {
    if (!contains(vpc, c)) out.push(`${s.kind}[${s.azIndex}] ${s.cidr} is outside ${plan.vpcCidr}`);
    if (c.prefix > 28 || c.prefix < 16) out.push(`${s.kind}[${s.azIndex}] ${s.cidr}: AWS subnets are /16../28`);
    for (const { s: t, c: d } of subnets.slice(i + 1))
      if (overlaps(c, d)) out.push(`${s.kind}[${s.azIndex}] ${s.cidr} overlaps ${t.kind}[${t.azIndex}] ${t.cidr}`);
  });
  return out;
}

/** A compact view of a plan for stack outputs: `{ vpcCidr, public: { <az>: <cidr> }, private: ..., isolated: ... }`. */
export function planSummary(plan: SubnetPlan): {
  vpcCidr: string;
  public: Record<string, string>;
  private: Record<string, string>;
  isolated: Record<string, string>;
} {
  const byAz = (list: PlannedSubnet[]) => Object.fromEntries(list.map((s) => [s.availabilityZone, s.cidr]));
  return { vpcCidr: plan.vpcCidr, public: byAz(plan.public), private: byAz(plan.private), isolated: byAz(plan.isolated) };
}
