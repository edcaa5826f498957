/**
 * Node-pool presets and the rules every pool obeys, pure. A pool is plain data (NodePoolSpec); these
 * functions complete it from its preset, pick its machine image, and check what the kubelet will accept.
 *
 * Dependencies point one way: components/config uses this module (stack config's pools are completed
 * by `completePool` and checked by `poolRuleProblems`), and nothing under components/node-pools imports components/config: it takes the
 * types of spec/ (tests/architecture/dependencies.test.ts).
 */
import { labelKeyProblem, nodeLabelProblems } from "../core/labels";
import type { NodePoolPreset, NodePoolSpec, SpotSpec, Taint } from "../spec/spec";
import { DEFAULT_POOL_ROOT_GIB, GPU_FAMILIES, GPU_TAINT, INGRESS_LABEL, POOL_PRESETS, isGpuInstanceType } from "../tiers/tiers";

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
    rootVolumeGiB: p.rootVolumeGiB ?? (preset.gpu ? DEFAULT_POOL_ROOT_GIB.gpu : DEFAULT_POOL_ROOT_GIB.general),
    minHealthyPercentage: p.minHealthyPercentage ?? 90,
  };
}

/**
 * A NodePoolSpec from a preset, for programs that build pools without stack config: the same
 * completion the stack config gets (`completePool`), the pool rules stack config checks
 * (`poolRuleProblems`, on the options as written) and the limits its schema sets (`poolLimitProblems`),
 * so what it accepts a NodePool accepts.
 * Throws naming the pool and the option at fault, with every problem at once.
 */
export function nodePool(name: string, preset: NodePoolPreset, opts: PoolOptions): NodePoolSpec {
  const written: PoolInput = { ...opts, name, preset };
  const pool = completePool(written);
  const problems = describePoolProblems(name, [...poolLimitProblems(pool), ...poolRuleProblems(written)]);
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

/** One problem with a pool: the field at fault, relative to the pool, and what is allowed. */
export interface PoolProblem {
  /** E.g. `maxSize`, `instanceTypes[0]`, `labels["team"]`, `taints[1].key`, `spot.onDemandBaseCapacity`. */
  field: string;
  message: string;
}

/** A pool before any check: stack config as written (it may have failed its schema), a program's options, or a spec. */
export type UncheckedPool = { readonly [K in keyof PoolInput]?: unknown };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number";
const isStr = (v: unknown): v is string => typeof v === "string";

/** An EC2 instance type's name: family (with its options), a dot, the size (m5.xlarge, m7i-flex.large). */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/**
 * The pool rules, one implementation for both ways a pool is written: stack config
 * (components/config/rules.ts, which prefixes `nodePools[i].`) and `nodePool()` / a NodePool (which
 * prefix the pool's name). Sizes in order (min <= desired <= max; a desired size not written is not
 * checked), instance types that name an EC2 type and agree with the preset (GPU types exactly in a gpu
 * pool), node labels and taint keys by the kubelet's rule (components/core/labels.ts), and a spot
 * on-demand base within the maximum. Each rule checks the types of what it reads, so it runs on
 * config that failed its schema too; every problem is returned, none thrown.
 */
export function poolRuleProblems(p: UncheckedPool): PoolProblem[] {
  const out: PoolProblem[] = [];
  const push = (field: string, message: string) => out.push({ field, message });
  const { minSize, maxSize, desiredSize } = p;
  if (isNum(minSize) && isNum(maxSize) && maxSize < minSize) push("maxSize", `must be >= minSize (${minSize})`);
  if (isNum(desiredSize)) {
    if (isNum(minSize) && desiredSize < minSize) push("desiredSize", `must be >= minSize (${minSize})`);
    if (isNum(maxSize) && desiredSize > maxSize) push("desiredSize", `must be <= maxSize (${maxSize})`);
  }
  if (Array.isArray(p.instanceTypes)) {
    (p.instanceTypes as unknown[]).forEach((t, j) => {
      if (!isStr(t)) return;
      const at = `instanceTypes[${j}]`;
      if (!INSTANCE_TYPE.test(t)) push(at, `"${t}" is not an EC2 instance type (family.size, e.g. m5.xlarge)`);
      else if (p.preset === "gpu" && !isGpuInstanceType(t))
        push(at, `"${t}" has no GPU; a gpu pool needs a GPU instance type (${GPU_FAMILIES.join(", ")})`);
      else if (p.preset !== "gpu" && isGpuInstanceType(t))
        push(at, `"${t}" is a GPU instance type; use preset: gpu so the pool boots the GPU image and carries the nvidia.com/gpu taint`);
    });
  }
  if (isObj(p.labels)) {
    for (const [key, value] of Object.entries(p.labels)) {
      for (const problem of nodeLabelProblems(key, isStr(value) ? value : "")) push(`labels[${JSON.stringify(key)}]`, problem);
    }
  }
  if (Array.isArray(p.taints)) {
    (p.taints as unknown[]).forEach((t, j) => {
      if (!isObj(t) || !isStr(t.key)) return;
      const problem = labelKeyProblem(t.key);
      if (problem) push(`taints[${j}].key`, problem);
    });
  }
  if (isObj(p.spot) && isNum(p.spot.onDemandBaseCapacity) && isNum(maxSize) && p.spot.onDemandBaseCapacity > maxSize) {
    push("spot.onDemandBaseCapacity", `must be <= maxSize (${maxSize})`);
  }
  return out;
}

/**
 * What stack config's schema (components/config/schema.ts) refuses before any rule runs, and a pool
 * that never went through it (`nodePool()`, a hand-built spec) must still be refused for: no instance
 * type, a negative minimum, a maximum below 1, a minimum healthy percentage outside 0..100.
 */
export function poolLimitProblems(pool: NodePoolSpec): PoolProblem[] {
  const out: PoolProblem[] = [];
  if (pool.instanceTypes.length === 0) out.push({ field: "instanceTypes", message: "needs at least one instance type" });
  if (!(pool.minSize >= 0)) out.push({ field: "minSize", message: "must be >= 0" });
  if (!(pool.maxSize >= 1)) out.push({ field: "maxSize", message: "must be >= 1" });
  if (!(pool.minHealthyPercentage >= 0 && pool.minHealthyPercentage <= 100))
    out.push({ field: "minHealthyPercentage", message: "must be 0..100" });
  return out;
}

/** Problems as `nodePool()` and a NodePool report them: `node pool <name>: <field>: <message>`. */
function describePoolProblems(name: string, problems: PoolProblem[]): string[] {
  return problems.map((p) => `node pool ${name}: ${p.field}: ${p.message}`);
}

/** Every problem with a pool spec that the kubelet or the Auto Scaling API would reject; empty when valid. */
export function poolProblems(pool: NodePoolSpec): string[] {
  return describePoolProblems(pool.name, [...poolLimitProblems(pool), ...poolRuleProblems(pool)]);
}

/** The preset defaults, re-exported for documentation and tests. */
export { POOL_PRESETS };
