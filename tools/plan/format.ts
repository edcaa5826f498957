/** Renders a PlanResult: the component tree, counts by type, a summary; JSON; files for --out. */
import { mkdirSync, rmSync, writeFileSync } from "fs";
import * as path from "path";
import { formatIssue } from "../../components/config/errors";
import type { ClusterSpec } from "../../components/spec/spec";
import type { PlanResult } from "./run";

export function countsByType(r: PlanResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const x of r.resources) if (x.type !== "pulumi:pulumi:Stack") counts[x.type] = (counts[x.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function summary(spec: ClusterSpec): Record<string, unknown> {
  return {
    cluster: spec.name,
    tier: `${spec.tier} (${spec.availabilityTarget}${spec.highAvailability ? ", HA" : ""})`,
    region: spec.region,
    availabilityZones: spec.availabilityZones,
    kubernetes: spec.versions.kubernetes,
    api: `${spec.api.exposure} api.${spec.name}.${spec.api.domain}:6443`,
    controlPlane: `${spec.controlPlane.count} x ${spec.controlPlane.instanceType}`,
    etcd: `${spec.etcd.topology}, ${spec.etcd.runtime}, ${spec.etcd.members} member(s)${spec.etcd.topology === "dedicated" ? ` on ${spec.etcd.instanceType}, ${spec.etcd.volume.type} ${spec.etcd.volume.sizeGiB} GiB / ${spec.etcd.volume.iops} IOPS` : ""}`,
    nat: spec.network.natStrategy,
    backups: `every ${spec.backup.intervalMinutes} min, frequent kept ${spec.backup.frequentRetentionDays} d, daily kept ${spec.backup.dailyRetentionDays} d`,
    upgradeStrategy: spec.upgradeStrategy,
    deletionProtection: spec.deletionProtection,
    nodePools: spec.nodePools.map(
      (p) =>
        `${p.name} (${p.preset}): ${p.instanceTypes.join(",")} min ${p.minSize} / desired ${p.desiredSize} / max ${p.maxSize}${p.spot ? " spot" : ""}`,
    ),
  };
}

export function tree(r: PlanResult): string[] {
  const children = new Map<string | undefined, typeof r.resources>();
  for (const x of r.resources) {
    const list = children.get(x.parent) ?? [];
    list.push(x);
    children.set(x.parent, list);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const x of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth)}${x.custom ? "" : "+ "}${x.type}  ${x.name}${x.protect ? "  [protected]" : ""}`);
      walk(x.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

export function toJson(r: PlanResult): Record<string, unknown> {
  return {
    ok: r.ok,
    stack: r.stack,
    configFile: r.configFile,
    issues: r.issues,
    errors: r.errors,
    summary: r.spec ? summary(r.spec) : undefined,
    counts: countsByType(r),
    resourceCount: r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").length,
    outputs: r.outputs,
    roles: [...r.artifacts.keys()].sort(),
  };
}

export function toText(r: PlanResult): string {
  const out: string[] = [];
  if (r.issues.length > 0) {
    out.push(`Invalid config in ${r.configFile} (${r.issues.length} problem${r.issues.length === 1 ? "" : "s"}); nothing was planned:`);
    for (const i of r.issues) out.push(`  - ${formatIssue(i)}`);
    return out.join("\n");
  }
  if (r.errors.length > 0) {
    out.push(`The plan of stack ${r.stack} failed:`);
    for (const e of r.errors) out.push(`  - ${e}`);
    out.push("");
  }
  out.push(`Plan of stack ${r.stack} (${r.configFile}), offline under mocks: nothing is deployed.`, "");
  out.push("Components:");
  out.push(...tree(r).map((l) => `  ${l}`), "");
  out.push("Resources by type:");
  const counts = countsByType(r);
  const width = Math.max(0, ...Object.keys(counts).map((k) => k.length));
  for (const [t, n] of Object.entries(counts)) out.push(`  ${t.padEnd(width)}  ${n}`);
  out.push(`  ${"total".padEnd(width)}  ${Object.values(counts).reduce((a, b) => a + b, 0)}`, "");
  if (r.spec) {
    out.push("Summary:");
    for (const [k, v] of Object.entries(summary(r.spec))) {
      if (Array.isArray(v)) {
        out.push(`  ${k}:`);
        for (const x of v) out.push(`    - ${String(x)}`);
      } else out.push(`  ${k}: ${String(v)}`);
    }
  }
  if (r.artifacts.size > 0)
    out.push("", `Boot artifacts for roles: ${[...r.artifacts.keys()].sort().join(", ")} (write them with --out DIR)`);
  return out.join("\n");
}

/** Writes DIR/plan.json and DIR/artifacts/<role>/<path>. */
export function writeOut(r: PlanResult, dir: string): void {
  rmSync(path.join(dir, "artifacts"), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const resources = r.resources.map((x) => ({
    urn: x.urn,
    type: x.type,
    name: x.name,
    parent: x.parent,
    custom: x.custom,
    id: x.id,
    inputs: x.inputs,
    dependencies: x.dependencies,
    options: {
      protect: x.protect,
      retainOnDelete: x.retainOnDelete,
      ignoreChanges: x.ignoreChanges,
      replaceOnChanges: x.replaceOnChanges,
      deleteBeforeReplace: x.deleteBeforeReplace,
    },
    ...(x.outputs ? { outputs: x.outputs } : {}),
  }));
  writeFileSync(path.join(dir, "plan.json"), `${JSON.stringify({ ...toJson(r), resources }, null, 2)}\n`);
  for (const [role, files] of r.artifacts) {
    for (const f of files) {
      const target = path.join(dir, "artifacts", role, f.path);
      if (!target.startsWith(path.join(dir, "artifacts", role) + path.sep))
        throw new Error(`artifact path escapes its folder: ${role}/${f.path}`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    }
  }
}
