/**
 * Cross-field rules over a merged (tier + overrides) config. Each rule checks the types of what it
 * reads, so the rules also run on config that failed the schema: every problem is reported at once.
 */
import { overlaps, parseCidr, type Cidr } from "../core/cidr";
import { AWS_NAME_LIMITS, DNS_LABEL } from "../core/names";
import { poolRuleProblems } from "../node-pools/presets";
import { checkVersions, type PlatformVersions } from "../versions/manifest";
import type { ConfigIssue } from "./errors";

/** Longest cluster name: `<name>-api-<hash6>` and similar derived names stay within 32 characters. */
export const MAX_CLUSTER_NAME = 20;
/** Longest node-pool name: `<cluster>-<pool>` ASG and IAM names stay readable. */
export const MAX_POOL_NAME = 24;

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const isObj = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === "string";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function cidrRule(issues: ConfigIssue[], path: string, value: unknown): Cidr | undefined {
  if (!isStr(value)) return undefined;
  const c = parseCidr(value);
  if (!c) issues.push({ path, message: `"${value}" is not a valid IPv4 CIDR (a.b.c.d/n with no host bits set)` });
  return c;
}

function allowlistRule(issues: ConfigIssue[], path: string, list: unknown): void {
  if (!Array.isArray(list)) return;
  list.forEach((v, i) => {
    const c = cidrRule(issues, `${path}[${i}]`, v);
    if (c && c.prefix === 0) issues.push({ path: `${path}[${i}]`, message: "0.0.0.0/0 is not an allowlist; name the client networks" });
  });
}

export function crossFieldIssues(c: Any): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const push = (path: string, message: string) => issues.push({ path: `cluster.${path}`, message });

  // Identity and AWS limits.
  if (isStr(c.region) && !/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(c.region))
    push("region", `"${c.region}" is not an AWS region name (e.g. eu-west-1)`);
  if (isStr(c.name)) {
    if (!DNS_LABEL.test(c.name)) push("name", `"${c.name}" must be a DNS label: lowercase letters, digits and '-', starting with a letter`);
    if (c.name.length > MAX_CLUSTER_NAME) {
      push(
        "name",
        `"${c.name}" is ${c.name.length} characters; at most ${MAX_CLUSTER_NAME} so that derived AWS names (load balancer, target group: ${AWS_NAME_LIMITS.loadBalancer}) fit`,
      );
    }
  }
  const ha = c.highAvailability === true;
  const azCount = isInt(c.azCount) ? c.azCount : undefined;
  if (Array.isArray(c.availabilityZones)) {
    const azs: unknown[] = c.availabilityZones;
    const seen = new Set<string>();
    azs.forEach((az, i) => {
      if (!isStr(az)) return;
      if (isStr(c.region) && !(az.startsWith(c.region) && /^[a-z]$/.test(az.slice(c.region.length)))) {
        push(
          `availabilityZones[${i}]`,
          `"${az}" is not an availability zone of region ${c.region} (expected ${c.region}a, ${c.region}b, ...)`,
        );
      }
      if (seen.has(az)) push(`availabilityZones[${i}]`, `"${az}" is listed twice`);
      seen.add(az);
    });
    if (azCount !== undefined && azs.length !== azCount) {
      push(
        "availabilityZones",
        `lists ${azs.length} zone(s) but the cluster spans ${azCount} (tier ${String(c.tier)}; set azCount to change it): list exactly ${azCount}`,
      );
    }
  }
  if (ha && azCount !== undefined && azCount < 2) push("azCount", `tier ${String(c.tier)} promises high availability: at least 2 AZs`);

  // Network.
  const net: Any = isObj(c.network) ? c.network : {};
  const vpc = cidrRule(issues, "cluster.network.vpcCidr", net.vpcCidr);
  const pod = cidrRule(issues, "cluster.network.podCidr", net.podCidr);
  const svc = cidrRule(issues, "cluster.network.serviceCidr", net.serviceCidr);
  if (vpc && (vpc.prefix < 16 || vpc.prefix > 22))
    push("network.vpcCidr", `prefix /${vpc.prefix} is outside /16../22 (AWS allows /16 at most; the subnet plan needs at least a /22)`);
  if (svc && (svc.prefix < 12 || svc.prefix > 24))
    push("network.serviceCidr", `prefix /${svc.prefix} is outside /12../24 (kube-apiserver's limit)`);
  if (pod && pod.prefix > 20) push("network.podCidr", `prefix /${pod.prefix} is too small for a cluster; use /20 or larger`);
  const ranges: [string, Cidr | undefined][] = [
    ["vpcCidr", vpc],
    ["podCidr", pod],
    ["serviceCidr", svc],
  ];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [an, a] = ranges[i]!;
      const [bn, b] = ranges[j]!;
      if (a && b && overlaps(a, b))
        push(`network.${bn}`, `${String(net[bn])} overlaps ${an} ${String(net[an])}; VPC, pod and service ranges must be disjoint`);
    }
  }
  if (isObj(net.existing)) {
    for (const k of ["publicSubnetIds", "privateSubnetIds"]) {
      const ids = net.existing[k];
      if (Array.isArray(ids) && azCount !== undefined && ids.length !== azCount) {
        push(
          `network.existing.${k}`,
          `has ${ids.length} subnet(s); the cluster spans ${azCount} AZs: give one per AZ, in availabilityZones order`,
        );
      }
    }
  }
  if (ha && net.natStrategy === "single")
    push(
      "network.natStrategy",
      `tier ${String(c.tier)} promises high availability: a single NAT gateway is a single point of failure; use per-az`,
    );

  // Access.
  const bastion: Any = isObj(c.bastion) ? c.bastion : {};
  allowlistRule(issues, "cluster.bastion.sshAllowlist", bastion.sshAllowlist);
  const api: Any = isObj(c.api) ? c.api : {};
  allowlistRule(issues, "cluster.api.allowedCidrs", api.allowedCidrs);
  if (api.exposure === "public" && Array.isArray(api.allowedCidrs) && api.allowedCidrs.length === 0) {
    push("api.allowedCidrs", "an internet-facing API endpoint needs an allowlist of client CIDRs (or set api.exposure: private)");
  }
  if (api.publicZoneId !== undefined && api.exposure !== "public")
    push("api.publicZoneId", "a public record is only for api.exposure: public");
  if (isStr(api.domain) && (!DNS_SUBDOMAIN.test(api.domain) || !api.domain.includes("."))) {
    push("api.domain", `"${api.domain}" must be a DNS domain of at least two labels, e.g. k8s.example.internal`);
  }

  // Control plane and etcd.
  const cp: Any = isObj(c.controlPlane) ? c.controlPlane : {};
  const etcd: Any = isObj(c.etcd) ? c.etcd : {};
  if (ha && cp.count === 1) push("controlPlane.count", `tier ${String(c.tier)} promises high availability: at least 3 control-plane nodes`);
  if (ha && etcd.members === 1) push("etcd.members", `tier ${String(c.tier)} promises high availability: at least 3 etcd members`);
  const validCount = [1, 3, 5].includes(cp.count);
  const validMembers = [1, 3, 5, 7].includes(etcd.members);
  if (etcd.topology === "colocated" && validMembers && validCount && etcd.members !== cp.count) {
    push(
      "etcd.members",
      `colocated etcd runs one member per control-plane node: must equal controlPlane.count (${cp.count}), or use topology: dedicated`,
    );
  }
  const vol: Any = isObj(etcd.volume) ? etcd.volume : {};
  if (vol.type === "gp3") {
    if (isInt(vol.iops) && vol.iops > 16000)
      push("etcd.volume.iops", `gp3 allows at most 16000 IOPS (got ${vol.iops}); use type: io2 for more`);
    if (isInt(vol.throughputMiBps) && (vol.throughputMiBps < 125 || vol.throughputMiBps > 1000))
      push("etcd.volume.throughputMiBps", `gp3 throughput must be 125..1000 MiB/s (got ${vol.throughputMiBps})`);
    if (isInt(vol.iops) && isInt(vol.sizeGiB) && vol.iops > 500 * vol.sizeGiB)
      push("etcd.volume.iops", `gp3 allows at most 500 IOPS per GiB: ${vol.iops} IOPS needs at least ${Math.ceil(vol.iops / 500)} GiB`);
  }
  if (vol.type === "io2" && isInt(vol.iops) && isInt(vol.sizeGiB) && vol.iops > 1000 * vol.sizeGiB) {
    push("etcd.volume.iops", `io2 allows at most 1000 IOPS per GiB: ${vol.iops} IOPS needs at least ${Math.ceil(vol.iops / 1000)} GiB`);
  }

  // Backups.
  const backup: Any = isObj(c.backup) ? c.backup : {};
  if (isInt(backup.intervalMinutes) && 1440 % backup.intervalMinutes !== 0) {
    push("backup.intervalMinutes", `${backup.intervalMinutes} does not divide a day (1440 minutes); use e.g. 15, 30, 60, 360`);
  }

  // Node pools.
  if (Array.isArray(c.nodePools)) {
    const names = new Map<string, number>();
    (c.nodePools as unknown[]).forEach((p, i) => {
      if (!isObj(p)) return;
      const at = `nodePools[${i}]`;
      if (isStr(p.name)) {
        if (!DNS_LABEL.test(p.name))
          push(`${at}.name`, `"${p.name}" must be a DNS label: lowercase letters, digits and '-', starting with a letter`);
        if (p.name.length > MAX_POOL_NAME) push(`${at}.name`, `"${p.name}" is ${p.name.length} characters; at most ${MAX_POOL_NAME}`);
        const first = names.get(p.name);
        if (first !== undefined) push(`${at}.name`, `"${p.name}" is already the name of nodePools[${first}]; pool names must be unique`);
        else names.set(p.name, i);
      }
      // The pool rules nodePool() and a NodePool apply too (components/node-pools/presets.ts), at this pool's path.
      for (const problem of poolRuleProblems(p)) push(`${at}.${problem.field}`, problem.message);
    });
  }

  // Versions.
  if (isObj(c.versions)) {
    const v = c.versions as PlatformVersions;
    const stringsOnly = Object.entries(v).every(([k, x]) => k === "os" || isStr(x));
    if (stringsOnly) for (const p of checkVersions(v)) push(`versions.${p.field}`, p.message);
  }

  // Tags.
  if (isObj(c.tags)) {
    for (const [k, v] of Object.entries(c.tags)) {
      if (k.length > 128 || k.toLowerCase().startsWith("aws:"))
        push(`tags[${JSON.stringify(k)}]`, "tag keys are at most 128 characters and may not start with aws:");
      if (isStr(v) && v.length > 256) push(`tags[${JSON.stringify(k)}]`, "tag values are at most 256 characters");
    }
  }
  return issues;
}
