/**
 * Node-pool presets and the rules every pool obeys, pure. A pool is plain data (NodePoolSpec); these
 * functions complete it from its preset, pick its machine image, and check what the kubelet will accept.
 *
 * Dependencies point one way: components/config uses this module (stack config's pools are completed
 * by `completePool`), and nothing under components/node-pools imports components/config: it takes the
 * types of spec/ (tests/architecture/dependencies.test.ts).
 */
import { labelKeyProblem, nodeLabelProblems } from "../core/labels";
import type { NodePoolPreset, NodePoolSpec, SpotSpec, Taint } from "../spec/spec";
import { GPU_TAINT, INGRESS_LABEL, POOL_PRESETS, isGpuInstanceType } from "../tiers/tiers";

/** What each preset is for: the EC2 family and its vCPU : GiB ratio, as documented in docs/cluster.md. */
export const PRESET_CHARACTERISTICS: Readonly<Record<NodePoolPreset, { families: string[]; ratio: string; purpose: string }>> = {
  general: { families: ["m5"], ratio: "1:4", purpose: "balanced workloads" },
  memory: { families: ["r5"], ratio: "1:8", purpose: "caches, JVMs, in-memory databases" },
  compute: { families: ["c5"], ratio: "1:2", purpose: "CPU-bound batch and request processing" },
  gpu: { families: ["g4dn", "p3"], ratio: "GPU", purpose: "CUDA workloads; boots the GPU image, tainted nvidia.com/gpu" },
  ingress: {
    families: ["c5"],
    ratio: "1:2",
    purpose: "ingress controllers only (own label and taint); the ingress load balancer's targets",
  },
};

export interface PoolOptions {
  /** Instance types, first preferred. @default the preset's (e.g. m5.xlarge for general) */
  instanceTypes?: string[];
  /** Minimum size. Required. */
  minSize: number;
  /** Maximum size. Required. */
  maxSize: number;
  /** Initial size, then the autoscaler's. @default minSize */
  desiredSize?: number;
  /** Extra node labels (merged over the preset's). @default {} */
  labels?: Record<string, string>;
  /** Extra taints (a preset's taint with the same key and effect is replaced). @default [] */
  taints?: Taint[];
  /** Spot / mixed instances. @default undefined (on-demand only) */
  spot?: Partial<SpotSpec>;
  /** Root volume size, GiB. @default 50 (100 for gpu) */
  rootVolumeGiB?: number;
  /** Instance refresh minimum healthy percentage. @default 90 */
  minHealthyPercentage?: number;
}

/** A pool as written: its name and preset, and the options that override the preset. */
export interface PoolInput extends PoolOptions {
  /** DNS-safe, unique within the cluster. Required. */
  name: string;
  /** The preset the pool is completed from. Required. */
  preset: NodePoolPreset;
}

/**
 * A pool as written, completed from its preset: the preset's instance types, labels and taints under
 * the pool's own (a taint with the preset's key and effect replaces it), and the documented defaults.
 * Stack config's pools (components/config/resolve.ts) and `nodePool()` both complete pools with it.
 */
export function completePool(p: PoolInput): NodePoolSpec {
  const preset = POOL_PRESETS[p.preset]!;
  const taints = [...preset.taints];
  for (const t of p.taints ?? []) {
    const i = taints.findIndex((x) => x.key === t.key && x.effect === t.effect);
    if (i >= 0) taints[i] = t;
    else taints.push(t);
  }
  return {
    name: p.name,
    preset: p.preset,
    instanceTypes: p.instanceTypes ?? [...preset.instanceTypes],
    minSize: p.minSize,
    maxSize: p.maxSize,
    desiredSize: p.desiredSize ?? p.minSize,
    labels: { ...preset.labels, ...(p.labels ?? {}) },
    taints,
    spot: p.spot
      ? {
          onDemandBaseCapacity: p.spot.onDemandBaseCapacity ?? 0,
          onDemandPercentageAboveBaseCapacity: p.spot.onDemandPercentageAboveBaseCapacity ?? 0,
        }
      : undefined,
    rootVolumeGiB: p.rootVolumeGiB ?? (preset.gpu ? 100 : 50),
    minHealthyPercentage: p.minHealthyPercentage ?? 90,
  };
}

/**
 * A NodePoolSpec from a preset, for programs that build pools without stack config: the same
 * completion the stack config gets (`completePool`), then the same checks a NodePool makes
 * (`poolProblems`: sizes, instance types, and the kubelet's label rule of components/core/labels.ts).
 * Throws naming the pool and the option at fault.
 */
export function nodePool(name: string, preset: NodePoolPreset, opts: PoolOptions): NodePoolSpec {
  const pool = completePool({ ...opts, name, preset });
  const problems = poolProblems(effectivePool(pool));
  if (problems.length > 0) throw new Error(`nodePool("${name}", "${preset}", ...): ${problems.join("; ")}`);
  return pool;
}

/** Whether a pool runs on GPU machines (then it boots the GPU image). */
export function isGpuPool(pool: Pick<NodePoolSpec, "preset" | "instanceTypes">): boolean {
  return pool.preset === "gpu" || pool.instanceTypes.some(isGpuInstanceType);
}

/** Which machine image a pool boots. */
export function poolImageVariant(pool: Pick<NodePoolSpec, "preset" | "instanceTypes">): "node" | "gpu" {
  return isGpuPool(pool) ? "gpu" : "node";
}

/**
 * The pool as it is deployed: a GPU pool always carries the nvidia.com/gpu taint (added when a
 * hand-built spec forgot it), an ingress pool always its role label and taint.
 */
export function effectivePool(pool: NodePoolSpec): NodePoolSpec {
  const taints = [...pool.taints];
  const labels = { ...pool.labels };
  const ensure = (t: Taint) => {
    if (!taints.some((x) => x.key === t.key && x.effect === t.effect)) taints.push(t);
  };
  if (isGpuPool(pool)) ensure(GPU_TAINT);
  if (pool.preset === "ingress") {
    if (labels[INGRESS_LABEL.key] === undefined) labels[INGRESS_LABEL.key] = INGRESS_LABEL.value;
    ensure({ key: INGRESS_LABEL.key, value: INGRESS_LABEL.value, effect: "NoSchedule" });
  }
  return { ...pool, labels, taints };
}

/** Every problem with a pool that the kubelet or the Auto Scaling API would reject; empty when valid. */
export function poolProblems(pool: NodePoolSpec): string[] {
  const out: string[] = [];
  const at = `node pool ${pool.name}`;
  if (pool.instanceTypes.length === 0) out.push(`${at}: needs at least one instance type`);
  if (!(pool.minSize >= 0 && pool.minSize <= pool.desiredSize && pool.desiredSize <= pool.maxSize)) {
    out.push(`${at}: sizes must satisfy 0 <= min (${pool.minSize}) <= desired (${pool.desiredSize}) <= max (${pool.maxSize})`);
  }
  if (pool.maxSize < 1) out.push(`${at}: maxSize must be at least 1`);
  if (pool.minHealthyPercentage < 0 || pool.minHealthyPercentage > 100) out.push(`${at}: minHealthyPercentage must be 0..100`);
  for (const [key, value] of Object.entries(pool.labels)) {
    for (const p of nodeLabelProblems(key, value)) out.push(`${at}: labels[${JSON.stringify(key)}]: ${p}`);
  }
  pool.taints.forEach((t, i) => {
    const p = labelKeyProblem(t.key);
    if (p) out.push(`${at}: taints[${i}].key: ${p}`);
  });
  if (pool.preset !== "gpu" && pool.instanceTypes.some(isGpuInstanceType)) {
    out.push(`${at}: GPU instance types need preset gpu (GPU image and nvidia.com/gpu taint)`);
  }
  if (pool.preset === "gpu" && !pool.instanceTypes.every(isGpuInstanceType)) {
    out.push(`${at}: a gpu pool may only use GPU instance types`);
  }
  return out;
}

/** The preset defaults, re-exported for documentation and tests. */
export { POOL_PRESETS };
