/**
 * From stack config to ClusterSpec: schema check, tier preset + overrides, cross-field rules.
 * Pure: no Pulumi, no AWS. Every problem is collected before anything is thrown.
 */
import type { z } from "zod";
import { completePool } from "../node-pools/presets";
import { POOL_PRESETS, TIERS } from "../tiers/tiers";
import { DEFAULT_VERSIONS, SUPPORTED_MINORS, minorOf, type PlatformVersions } from "../versions/manifest";
import { ConfigError, joinPath, type ConfigIssue } from "./errors";
import { crossFieldIssues } from "./rules";
import { clusterConfigSchema, type ClusterConfig } from "./schema";
import type { ClusterSpec, NodePoolSpec, TierName } from "../spec/spec";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const isObj = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);

/** Config root path used in messages: `cluster.<field>`. */
export const CONFIG_ROOT = "cluster";

/** Defaults that do not depend on the tier. */
export const BASE_DEFAULTS = {
  network: { vpcCidr: "10.0.0.0/16", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", isolatedSubnets: false },
  bastion: { enabled: true, instanceType: "t3.micro", sshAllowlist: [] as string[] },
  api: { allowedCidrs: [] as string[], domain: "kubeadm-aws.internal" },
  images: {},
  tags: {},
} as const;

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isObj(base) && isObj(over)) {
    const out: Any = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
    return out;
  }
  return over;
}

function tierLayer(tier: TierName): Any {
  const t = TIERS[tier];
  return {
    availabilityTarget: t.availabilityTarget,
    highAvailability: t.highAvailability,
    azCount: t.azCount,
    network: t.network,
    controlPlane: t.controlPlane,
    etcd: t.etcd,
    backup: t.backup,
    deletionProtection: t.deletionProtection,
    api: t.api,
    upgradeStrategy: t.upgradeStrategy,
  };
}

/** The manifest: defaults for the chosen Kubernetes minor, then the config's pins. */
export function resolveVersions(pins: Partial<PlatformVersions> | undefined): PlatformVersions {
  const p = pins ?? {};
  let base: PlatformVersions = { ...DEFAULT_VERSIONS };
  const minor = p.kubernetes ? minorOf(p.kubernetes) : undefined;
  const support = minor ? SUPPORTED_MINORS[minor] : undefined;
  if (p.kubernetes && support) base = { ...base, ...support.defaults, kubernetes: p.kubernetes, kubelet: p.kubernetes };
  return { ...base, ...p } as PlatformVersions;
}

/**
 * A pool as configured, completed from its preset: node-pools' `completePool` (config depends on
 * node-pools, never the reverse). Kept under this name for programs that imported it from here.
 */
export const resolvePool: (p: NonNullable<ClusterConfig["nodePools"]>[number]) => NodePoolSpec = completePool;

function zodIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const i of error.issues) {
    const path = joinPath(CONFIG_ROOT, i.path);
    switch (i.code) {
      case "unrecognized_keys":
        for (const k of i.keys)
          out.push({
            path: joinPath(CONFIG_ROOT, [...i.path, k]),
            message: "unknown key (check its spelling; see README, Configuration reference)",
          });
        break;
      case "invalid_type":
        out.push({
          path,
          message:
            i.input === undefined
              ? `is required (${i.expected})`
              : `must be ${i.expected === "object" ? "an object" : i.expected === "array" ? "a list" : `a ${i.expected}`}${i.expected === "int" ? " (whole number)" : ""}`,
        });
        break;
      case "invalid_value":
        out.push({
          path,
          message: `must be one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}${i.input !== undefined ? ` (got ${JSON.stringify(i.input)})` : ""}`,
        });
        break;
      case "invalid_union": {
        const values = i.errors.flat().flatMap((e) => (e.code === "invalid_value" ? e.values : []));
        out.push({
          path,
          message: values.length
            ? `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}${i.input !== undefined ? ` (got ${JSON.stringify(i.input)})` : ""}`
            : i.message,
        });
        break;
      }
      case "too_small":
        out.push({
          path,
          message:
            i.origin === "array"
              ? `must list at least ${String(i.minimum)} item(s)`
              : i.origin === "string"
                ? "must not be empty"
                : `must be >= ${String(i.minimum)}`,
        });
        break;
      case "too_big":
        out.push({
          path,
          message: i.origin === "array" ? `must list at most ${String(i.maximum)} item(s)` : `must be <= ${String(i.maximum)}`,
        });
        break;
      default:
        out.push({ path, message: i.message });
    }
  }
  return out;
}

/** Every problem in a stack's cluster config (schema and cross-field), empty when it is valid. */
export function validateClusterConfig(raw: unknown): ConfigIssue[] {
  return resolveInternal(raw).issues;
}

function resolveInternal(raw: unknown): { issues: ConfigIssue[]; merged?: Any; parsed?: ClusterConfig } {
  if (!isObj(raw))
    return { issues: [{ path: CONFIG_ROOT, message: "is required: set pulumi-kubeadm-aws:cluster to an object (see README)" }] };
  const parsed = clusterConfigSchema.safeParse(raw, { reportInput: true });
  const issues = parsed.success ? [] : zodIssues(parsed.error);
  const tier = typeof raw.tier === "string" && raw.tier in TIERS ? (raw.tier as TierName) : undefined;
  let merged: Any = deepMerge(BASE_DEFAULTS, tier ? tierLayer(tier) : {}) as Any;
  merged = deepMerge(merged, raw) as Any;
  if (isObj(raw.versions) || raw.versions === undefined)
    merged.versions = resolveVersions(raw.versions as Partial<PlatformVersions> | undefined);
  // Cross-field rules see the pools as written (a defaulted desiredSize is not the user's mistake).
  for (const x of crossFieldIssues(merged)) {
    if (!issues.some((y) => y.path === x.path && y.message === x.message)) issues.push(x);
  }
  if (Array.isArray(raw.nodePools) && parsed.success) merged.nodePools = parsed.data.nodePools!.map(completePool);
  return { issues, merged, parsed: parsed.success ? parsed.data : undefined };
}

/**
 * Resolves a stack's cluster config into a ClusterSpec, or throws a ConfigError listing every
 * problem (schema and cross-field) with its config path.
 */
export function resolveClusterSpec(raw: unknown): ClusterSpec {
  const { issues, merged, parsed } = resolveInternal(raw);
  if (issues.length > 0 || !merged || !parsed) throw new ConfigError(issues);
  const tier = TIERS[parsed.tier];
  const azCount = merged.azCount as number;
  return {
    name: parsed.name,
    tier: parsed.tier,
    availabilityTarget: merged.availabilityTarget,
    highAvailability: merged.highAvailability,
    region: parsed.region,
    availabilityZones: parsed.availabilityZones.slice(0, azCount),
    versions: merged.versions,
    network: {
      vpcCidr: merged.network.vpcCidr,
      podCidr: merged.network.podCidr,
      serviceCidr: merged.network.serviceCidr,
      natStrategy: merged.network.natStrategy,
      isolatedSubnets: merged.network.isolatedSubnets,
      interfaceEndpoints: [...merged.network.interfaceEndpoints],
      flowLogs: merged.network.flowLogs,
      ...(merged.network.existing ? { existing: merged.network.existing } : {}),
    },
    bastion: { ...merged.bastion, sshAllowlist: [...merged.bastion.sshAllowlist] },
    api: {
      exposure: merged.api.exposure,
      allowedCidrs: [...merged.api.allowedCidrs],
      domain: merged.api.domain,
      ...(merged.api.publicZoneId ? { publicZoneId: merged.api.publicZoneId } : {}),
    },
    controlPlane: { ...merged.controlPlane },
    etcd: { ...merged.etcd, volume: { ...merged.etcd.volume } },
    backup: { ...merged.backup },
    deletionProtection: merged.deletionProtection,
    upgradeStrategy: merged.upgradeStrategy,
    nodePools: parsed.nodePools
      ? merged.nodePools
      : tier.defaultNodePools.map((p) => ({ ...p, labels: { ...POOL_PRESETS[p.preset]!.labels, ...p.labels } })),
    images: { ...merged.images },
    tags: { ...merged.tags },
    tokenRotation: parsed.tokenRotation ?? "initial",
    kubeletServingCertificates: parsed.kubeletServingCertificates ?? "self-signed",
  };
}
