/**
 * A pure reachability evaluator over security-group rules: may `from` open a connection to `to` on
 * this protocol and port? Models AWS semantics: groups are stateful (replies are always allowed),
 * the rules of every group on an instance add up, a group reference matches any instance carrying
 * that group, and a connection needs an egress rule on the source's groups (for sources inside the
 * VPC) and an ingress rule on the destination's groups.
 */
import { contains, overlaps, parseCidr } from "../core/cidr";
import { PRIVATE_ROLES, ROLES, type Peer, type Protocol, type Role, type SgRule } from "./rules";

export interface Flow {
  /** A role (an instance carrying that role's groups), or an outside address or CIDR such as `8.8.8.8` or `203.0.113.0/24`. */
  from: Role | string;
  /** The destination role. */
  to: Role;
  protocol: Exclude<Protocol, "all">;
  port: number;
}

export interface EvaluateOptions {
  /** The VPC range: a role's instances are inside it, so CIDR rules over it match them. */
  vpcCidr?: string;
  /** The NAT gateways' public addresses: private-subnet roles reaching the internet appear as these. */
  natIps?: string[];
  /** The groups each role's instances carry (e.g. colocated control planes carry `etcd` too). @default each role its own group */
  membership?: Partial<Record<Role, Role[]>>;
}

type Party = { kind: "role"; role: Role; groups: Role[] } | { kind: "address"; cidr: string };

const isRole = (x: string): x is Role => (ROLES as readonly string[]).includes(x);

function party(x: Role | string, opts: EvaluateOptions): Party {
  if (isRole(x)) return { kind: "role", role: x, groups: opts.membership?.[x] ?? [x] };
  const cidr = x.includes("/") ? x : `${x}/32`;
  if (!parseCidr(cidr)) throw new Error(`flow endpoint "${x}" is neither a role nor an IPv4 address/CIDR`);
  return { kind: "address", cidr };
}

function peerMatches(peer: Peer, p: Party, opts: EvaluateOptions): boolean {
  if ("role" in peer) return p.kind === "role" && p.groups.includes(peer.role);
  if ("natEgress" in peer) return p.kind === "role" && PRIVATE_ROLES.includes(p.role);
  const rule = parseCidr(peer.cidr);
  if (!rule) throw new Error(`rule CIDR "${peer.cidr}" is malformed`);
  if (p.kind === "address") return contains(rule, parseCidr(p.cidr)!);
  if (rule.prefix === 0) return true;
  const vpc = opts.vpcCidr ? parseCidr(opts.vpcCidr) : undefined;
  if (vpc && overlaps(rule, vpc)) return true;
  return PRIVATE_ROLES.includes(p.role) && (opts.natIps ?? []).some((ip) => contains(rule, parseCidr(`${ip}/32`)!));
}

function portMatches(r: SgRule, protocol: Exclude<Protocol, "all">, port: number): boolean {
  return r.protocol === "all" || (r.protocol === protocol && port >= r.fromPort && port <= r.toPort);
}

export interface FlowVerdict {
  allowed: boolean;
  /** The ingress rule that admits the flow at the destination, if any. */
  ingress?: SgRule;
  /** The egress rule that lets it leave the source (undefined for outside sources, which have no groups of ours). */
  egress?: SgRule;
}

/** Why a flow is (not) allowed: the rules that admit it on each side. */
export function explainFlow(rules: SgRule[], flow: Flow, opts: EvaluateOptions = {}): FlowVerdict {
  const src = party(flow.from, opts);
  const dst = party(flow.to, opts);
  const dstGroups = dst.kind === "role" ? dst.groups : [];
  const ingress = rules.find(
    (r) =>
      r.direction === "ingress" &&
      dstGroups.includes(r.group) &&
      portMatches(r, flow.protocol, flow.port) &&
      peerMatches(r.peer, src, opts),
  );
  if (src.kind === "address") return { allowed: ingress !== undefined, ingress };
  const egress = rules.find(
    (r) =>
      r.direction === "egress" &&
      src.groups.includes(r.group) &&
      portMatches(r, flow.protocol, flow.port) &&
      peerMatches(r.peer, dst, opts),
  );
  return { allowed: ingress !== undefined && egress !== undefined, ingress, egress };
}

/** Whether the rules let `flow.from` open a connection to `flow.to` on `flow.protocol`/`flow.port`. */
export function isAllowed(rules: SgRule[], flow: Flow, opts: EvaluateOptions = {}): boolean {
  return explainFlow(rules, flow, opts).allowed;
}

/** The inputs of an `aws.vpc.SecurityGroupIngressRule`/`SecurityGroupEgressRule` as the provider receives them. */
export interface ProviderRuleInputs {
  securityGroupId: string;
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  referencedSecurityGroupId?: string;
  description?: string;
}

/**
 * Turns provider-level rule inputs (e.g. recorded under mocks) back into SgRules, given which
 * group id is which role. Throws on a rule whose group or peer it cannot name, so nothing is
 * silently ignored.
 */
export function rulesFromProvider(groupRoles: Record<string, Role>, ingress: ProviderRuleInputs[], egress: ProviderRuleInputs[]): SgRule[] {
  const convert =
    (direction: SgRule["direction"]) =>
    (x: ProviderRuleInputs): SgRule => {
      const group = groupRoles[x.securityGroupId];
      if (!group) throw new Error(`rule on unknown security group ${x.securityGroupId}`);
      let peer: Peer;
      if (x.referencedSecurityGroupId !== undefined) {
        const role = groupRoles[x.referencedSecurityGroupId];
        if (!role) throw new Error(`rule references unknown security group ${x.referencedSecurityGroupId}`);
        peer = { role };
      } else if (x.cidrIpv4 !== undefined) peer = { cidr: x.cidrIpv4 };
      else throw new Error(`rule on ${group} has neither a CIDR nor a group peer`);
      const protocol = x.ipProtocol === "-1" ? "all" : x.ipProtocol;
      if (protocol !== "all" && protocol !== "tcp" && protocol !== "udp") throw new Error(`unsupported protocol ${x.ipProtocol}`);
      return { direction, group, peer, protocol, fromPort: x.fromPort ?? 0, toPort: x.toPort ?? 0, description: x.description ?? "" };
    };
  return [...ingress.map(convert("ingress")), ...egress.map(convert("egress"))];
}
