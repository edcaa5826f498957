/** Renders the README's tier table from components/tiers (tests check the README carries it). */
import { TIERS, TIER_NAMES } from "../../components/tiers/tiers";

export function tierTable(): string {
  const rows: [string, (t: (typeof TIERS)[keyof typeof TIERS]) => string][] = [
    ["availability target", (t) => t.availabilityTarget],
    ["high availability", (t) => (t.highAvailability ? "yes" : "no")],
    ["AZs", (t) => String(t.azCount)],
    ["NAT", (t) => (t.network.natStrategy === "per-az" ? "one per AZ" : "single")],
    [
      "interface endpoints",
      (t) => (t.network.interfaceEndpoints.length ? `${t.network.interfaceEndpoints.length} services` : "none (S3 gateway only)"),
    ],
    ["flow logs", (t) => (t.network.flowLogs ? "on" : "off")],
    ["control plane", (t) => `${t.controlPlane.count} × ${t.controlPlane.instanceType}`],
    [
      "etcd",
      (t) =>
        `${t.etcd.topology}, ${t.etcd.runtime}, ${t.etcd.members} member(s)${t.etcd.topology === "dedicated" ? ` on ${t.etcd.instanceType}, ${t.etcd.volume.type} ${t.etcd.volume.sizeGiB} GiB / ${t.etcd.volume.iops} IOPS` : ""}`,
    ],
    ["etcd snapshots", (t) => `every ${t.backup.intervalMinutes} min`],
    ["snapshot retention", (t) => `frequent ${t.backup.frequentRetentionDays} d, daily ${t.backup.dailyRetentionDays} d`],
    ["deletion protection", (t) => (t.deletionProtection ? "on" : "off")],
    ["API exposure", (t) => t.api.exposure],
    ["upgrade strategy", (t) => t.upgradeStrategy],
    [
      "default node pool",
      (t) => t.defaultNodePools.map((p) => `${p.name}: ${p.instanceTypes.join(",")} ${p.minSize}–${p.maxSize}`).join("; "),
    ],
  ];
  const header = `| | ${TIER_NAMES.map((n) => `\`${n}\``).join(" | ")} |`;
  const sep = `|---|${TIER_NAMES.map(() => "---").join("|")}|`;
  const body = rows.map(([label, f]) => `| ${label} | ${TIER_NAMES.map((n) => f(TIERS[n])).join(" | ")} |`);
  return [header, sep, ...body].join("\n");
}

if (require.main === module) console.log(tierTable());
