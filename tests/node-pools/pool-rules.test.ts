/**
 * The pool rules are one implementation (components/node-pools/presets.ts: `poolRuleProblems`) that
 * the two ways of writing a pool share: stack config validation (reported at `cluster.nodePools[i].<field>`)
 * and the programmatic `nodePool()` (reported as `node pool <name>: <field>`), and so a NodePool.
 * For every shared rule the same pool is refused by both with the same field and message, and its
 * neighbour on the right side of the rule is accepted by both.
 */
import { validateClusterConfig } from "../../components/config";
import { effectivePool, nodePool, poolProblems, poolRuleProblems, type PoolInput } from "../../components/node-pools";

/** A valid first pool, so the pool under test sits at index 1 (the config path must carry its index). */
const FIRST = { name: "general", preset: "general", minSize: 1, maxSize: 3 };

const config = (pool: PoolInput) => ({
  name: "demo",
  tier: "dev",
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  api: { allowedCidrs: ["203.0.113.0/24"] },
  nodePools: [FIRST, pool],
});

/** Problems stack config reports for the pool, as `field: message` relative to `cluster.nodePools[1]`. */
function configVerdict(pool: PoolInput): string[] {
  const issues = validateClusterConfig(config(pool));
  const at = "cluster.nodePools[1].";
  expect(issues.filter((i) => !i.path.startsWith(at))).toEqual([]);
  return issues.map((i) => `${i.path.slice(at.length)}: ${i.message}`);
}

/** Problems nodePool() reports for the same pool, as `field: message` (its error names the pool and the option). */
function helperVerdict(pool: PoolInput): string[] {
  const { name, preset, ...opts } = pool;
  try {
    nodePool(name, preset, opts);
    return [];
  } catch (e) {
    const message = (e as Error).message;
    const head = `nodePool("${name}", "${preset}", ...): node pool ${name}: `;
    expect(message.startsWith(head)).toBe(true);
    // Problems are joined with "; " and each names the pool (messages may hold "; " themselves).
    return message.slice(head.length).split(`; node pool ${name}: `);
  }
}

const pool = (over: Partial<PoolInput>): PoolInput => ({ name: "extra", preset: "general", minSize: 1, maxSize: 3, ...over });
const taint = (key: string) => ({ key, effect: "NoSchedule" as const });

/** [rule, refused pool, the field and message both must report, accepted neighbour] */
const RULES: [string, PoolInput, string, PoolInput][] = [
  ["max below min", pool({ minSize: 3, maxSize: 2 }), "maxSize: must be >= minSize (3)", pool({ minSize: 3, maxSize: 3 })],
  ["desired above max", pool({ desiredSize: 4 }), "desiredSize: must be <= maxSize (3)", pool({ desiredSize: 3 })],
  ["desired below min", pool({ minSize: 2, desiredSize: 1 }), "desiredSize: must be >= minSize (2)", pool({ minSize: 2, desiredSize: 2 })],
  [
    "instance type not family.size",
    pool({ instanceTypes: ["m5.xlarge", "m5"] }),
    'instanceTypes[1]: "m5" is not an EC2 instance type (family.size, e.g. m5.xlarge)',
    pool({ instanceTypes: ["m5.xlarge", "m7i-flex.large"] }),
  ],
  [
    "GPU type outside a gpu pool",
    pool({ instanceTypes: ["p3.2xlarge"] }),
    'instanceTypes[0]: "p3.2xlarge" is a GPU instance type; use preset: gpu so the pool boots the GPU image and carries the nvidia.com/gpu taint',
    pool({ preset: "gpu", instanceTypes: ["p3.2xlarge"], minSize: 0 }),
  ],
  [
    "gpu pool with a type without GPU",
    pool({ preset: "gpu", instanceTypes: ["g5.xlarge", "m5.xlarge"], minSize: 0 }),
    'instanceTypes[1]: "m5.xlarge" has no GPU; a gpu pool needs a GPU instance type (g4dn, g5, g6, g6e, p3, p3dn, p4d, p5)',
    pool({ preset: "gpu", instanceTypes: ["g5.xlarge", "g6.xlarge"], minSize: 0 }),
  ],
  [
    "kubelet-restricted label",
    pool({ labels: { "node-role.kubernetes.io/worker": "" } }),
    'labels["node-role.kubernetes.io/worker"]: "node-role.kubernetes.io/worker" is in the kubelet-restricted namespaces',
    pool({ labels: { "node.kubernetes.io/worker": "" } }),
  ],
  [
    "label value",
    pool({ labels: { "example.com/team": "a b" } }),
    'labels["example.com/team"]: value "a b" must be at most 63 characters',
    pool({ labels: { "example.com/team": "a-b" } }),
  ],
  [
    "taint key",
    // The preset's own taint comes first in the completed pool; the index is still the one written.
    pool({ preset: "gpu", minSize: 0, taints: [taint("dedicated"), taint("bad key")] }),
    'taints[1].key: "bad key" is not a valid key',
    pool({ preset: "gpu", minSize: 0, taints: [taint("dedicated"), taint("example.com/bad-key")] }),
  ],
  [
    "spot on-demand base above max",
    pool({ spot: { onDemandBaseCapacity: 4 } }),
    "spot.onDemandBaseCapacity: must be <= maxSize (3)",
    pool({ spot: { onDemandBaseCapacity: 3 } }),
  ],
];

describe.each(RULES)("rule: %s", (_rule, refused, problem, accepted) => {
  test("stack config and nodePool() refuse it with the same field and message, at their own paths", () => {
    const fromConfig = configVerdict(refused);
    const fromHelper = helperVerdict(refused);
    expect(fromConfig).toHaveLength(1);
    expect(fromConfig[0]!.startsWith(problem)).toBe(true);
    expect(fromHelper).toEqual(fromConfig);
    // The one implementation behind both, and a NodePool given the completed pool refuses it too.
    expect(poolRuleProblems(refused).map((p) => `${p.field}: ${p.message}`)).toEqual(fromConfig);
  });

  test("both accept its neighbour, and so does a NodePool", () => {
    expect(configVerdict(accepted)).toEqual([]);
    expect(helperVerdict(accepted)).toEqual([]);
    const { name, preset, ...opts } = accepted;
    expect(poolProblems(effectivePool(nodePool(name, preset, opts)))).toEqual([]);
  });
});

test("every rule's problem at once, in the same order on both paths", () => {
  const all = pool({
    minSize: 3,
    maxSize: 2,
    desiredSize: 5,
    instanceTypes: ["m5", "p3.2xlarge"],
    labels: { "kubernetes.io/role": "x", "example.com/v": "a,b" },
    taints: [taint("bad key")],
    spot: { onDemandBaseCapacity: 9 },
  });
  const fromConfig = configVerdict(all);
  expect(fromConfig.map((p) => p.split(":")[0])).toEqual([
    "maxSize",
    "desiredSize",
    "instanceTypes[0]",
    "instanceTypes[1]",
    'labels["kubernetes.io/role"]',
    'labels["example.com/v"]',
    "taints[0].key",
    "spot.onDemandBaseCapacity",
  ]);
  expect(helperVerdict(all)).toEqual(fromConfig);
});

test("a desired size not written is not checked (its default is the minimum), on both paths", () => {
  expect(configVerdict(pool({ minSize: 0, maxSize: 1 }))).toEqual([]);
  expect(helperVerdict(pool({ minSize: 0, maxSize: 1 }))).toEqual([]);
});

describe("limits stack config's schema sets, which nodePool() and a NodePool keep too (same field)", () => {
  test.each([
    ["minSize", pool({ minSize: -1 })],
    ["maxSize", pool({ minSize: 0, maxSize: 0 })],
    ["instanceTypes", pool({ instanceTypes: [] })],
    ["minHealthyPercentage", pool({ minHealthyPercentage: 101 })],
  ] as const)("%s", (field, refused) => {
    expect(configVerdict(refused).map((p) => p.split(":")[0])).toEqual([field]);
    expect(helperVerdict(refused).map((p) => p.split(":")[0])).toEqual([field]);
  });
});
