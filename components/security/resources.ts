/**
 * Creates the provider resources for a list of SgRules: one `aws.vpc.SecurityGroupIngressRule` or
 * `SecurityGroupEgressRule` per rule (per NAT address for `natEgress` peers), named by the rule's
 * stable slug so that adding or removing one rule never touches another.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ruleSlug, type Role, type SgRule } from "./rules";

export interface RuleResourceArgs {
  /** Prefix of every rule's logical name (usually the component's name). Required. */
  name: string;
  /** The rules to create, one resource each. Required. */
  rules: SgRule[];
  /** The group id of every role the rules name (as owner or peer). Required. */
  groupIds: Partial<Record<Role, pulumi.Input<string>>>;
  /** Public addresses of the NAT gateways, for `natEgress` peers. Required (may be empty). */
  natIps: pulumi.Input<string>[];
  /** Tags for every rule (its Name is added). Required (may be empty). */
  tags: Record<string, string>;
}

export type RuleResource = aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule;

/** The AWS provider inputs shared by ingress and egress rules. */
type RuleInputs = aws.vpc.SecurityGroupIngressRuleArgs & aws.vpc.SecurityGroupEgressRuleArgs;

function groupId(ids: RuleResourceArgs["groupIds"], role: Role, slug: string): pulumi.Input<string> {
  const id = ids[role];
  if (id === undefined) throw new Error(`security rule ${slug} needs the ${role} group, which was not given`);
  return id;
}

export function createRuleResources(args: RuleResourceArgs, opts: pulumi.CustomResourceOptions): RuleResource[] {
  const out: RuleResource[] = [];
  for (const rule of args.rules) {
    const slug = ruleSlug(rule);
    const ports =
      rule.protocol === "all" ? { ipProtocol: "-1" } : { ipProtocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort };
    const base = { securityGroupId: groupId(args.groupIds, rule.group, slug), description: rule.description, ...ports };
    const peers: { suffix: string; peer: Partial<RuleInputs> }[] =
      "role" in rule.peer
        ? [{ suffix: slug, peer: { referencedSecurityGroupId: groupId(args.groupIds, rule.peer.role, slug) } }]
        : "cidr" in rule.peer
          ? [{ suffix: slug, peer: { cidrIpv4: rule.peer.cidr } }]
          : args.natIps.map((ip, i) => ({ suffix: slug.replace("-nat-", `-nat-${i}-`), peer: { cidrIpv4: pulumi.interpolate`${ip}/32` } }));
    for (const { suffix, peer } of peers) {
      const inputs: RuleInputs = { ...base, ...peer, tags: { ...args.tags, Name: `${args.name}-${suffix}` } };
      out.push(
        rule.direction === "ingress"
          ? new aws.vpc.SecurityGroupIngressRule(`${args.name}-${suffix}`, inputs, opts)
          : new aws.vpc.SecurityGroupEgressRule(`${args.name}-${suffix}`, inputs, opts),
      );
    }
  }
  return out;
}
