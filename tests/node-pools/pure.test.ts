import fc from "fast-check";
import {
  asgTags,
  autoscalerDiscoveryTags,
  effectivePool,
  instanceRefresh,
  mixedInstancesPolicy,
  needsMixedInstances,
  nodePool,
  nodeTemplateTags,
  poolImageVariant,
  poolProblems,
  PRESET_CHARACTERISTICS,
  POOL_PRESETS,
} from "../../components/node-pools";
import { resolveClusterSpec, resolvePool } from "../../components/config";
import { type NodePoolPreset } from "../../components/spec";
import { completePool } from "../../components/node-pools/presets";

// Published EC2 shapes (vCPU, GiB) of the types the presets use, to check each preset's ratio.
const SHAPES: Record<string, [number, number]> = {
  "m5.large": [2, 8],
  "m5.xlarge": [4, 16],
  "m5.2xlarge": [8, 32],
  "r5.large": [2, 16],
  "r5.xlarge": [4, 32],
  "r5.2xlarge": [8, 64],
  "c5.large": [2, 4],
  "c5.xlarge": [4, 8],
  "c5.2xlarge": [8, 16],
};

describe("presets", () => {
  test.each([
    ["general", 4],
    ["memory", 8],
    ["compute", 2],
    ["ingress", 2],
  ] as [NodePoolPreset, number][])("%s types have 1 vCPU : %i GiB in the documented family", (preset, gib) => {
    for (const t of POOL_PRESETS[preset]!.instanceTypes) {
      const shape = SHAPES[t];
      expect(shape).toBeDefined();
      expect(shape![1] / shape![0]).toBe(gib);
      expect(PRESET_CHARACTERISTICS[preset].families).toContain(t.split(".")[0]);
    }
  });

  test("gpu preset: g4dn/p3 types, GPU image, nvidia.com/gpu taint", () => {
    const p = nodePool("gpu", "gpu", { minSize: 0, maxSize: 2 });
    expect(p.instanceTypes.every((t) => ["g4dn", "p3"].includes(t.split(".")[0]!))).toBe(true);
    expect(poolImageVariant(p)).toBe("gpu");
    expect(p.taints).toContainEqual({ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" });
    expect(poolProblems(p)).toEqual([]);
    // A hand-built gpu pool without the taint still gets it when deployed.
    expect(effectivePool({ ...p, taints: [] }).taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
  });

  test("ingress preset: own label and taint, even when a hand-built spec drops them", () => {
    const p = nodePool("edge", "ingress", { minSize: 2, maxSize: 4 });
    expect(p.labels).toEqual({ "node.kubeadm-aws.io/role": "ingress" });
    expect(p.taints).toEqual([{ key: "node.kubeadm-aws.io/role", value: "ingress", effect: "NoSchedule" }]);
    const e = effectivePool({ ...p, labels: {}, taints: [] });
    expect(e.labels).toEqual({ "node.kubeadm-aws.io/role": "ingress" });
    expect(e.taints).toEqual(p.taints);
    expect(poolImageVariant(p)).toBe("node");
  });

  test("a pool may override the instance types; desired defaults to min", () => {
    const p = nodePool("big", "general", { instanceTypes: ["m5.4xlarge"], minSize: 2, maxSize: 5 });
    expect(p.instanceTypes).toEqual(["m5.4xlarge"]);
    expect(p.desiredSize).toBe(2);
  });

  test("kubelet-restricted labels, bad sizes and GPU types outside a gpu pool are rejected", () => {
    const p = nodePool("x", "general", { minSize: 1, maxSize: 3 });
    expect(poolProblems({ ...p, labels: { "node-role.kubernetes.io/worker": "" } }).join()).toMatch(/node-role\.kubernetes\.io/);
    expect(poolProblems({ ...p, labels: { "kubernetes.io/role": "x" } }).join()).toMatch(/kubelet-restricted/);
    expect(poolProblems({ ...p, labels: { "node.kubernetes.io/pool": "x" } })).toEqual([]);
    expect(poolProblems({ ...p, minSize: 4 })).toEqual([
      "node pool x: maxSize: must be >= minSize (4)",
      "node pool x: desiredSize: must be >= minSize (4)",
    ]);
    expect(poolProblems({ ...p, instanceTypes: ["g5.xlarge"] }).join()).toMatch(
      /instanceTypes\[0\]: "g5\.xlarge" is a GPU instance type; use preset: gpu/,
    );
    expect(poolProblems({ ...nodePool("g", "gpu", { minSize: 0, maxSize: 1 }), instanceTypes: ["m5.large"] }).join()).toMatch(
      /instanceTypes\[0\]: "m5\.large" has no GPU/,
    );
  });
});

describe("one pool completion, config -> node-pools", () => {
  test("stack config's pools are completePool's, and nodePool() gives the same spec", () => {
    const written = {
      name: "ml",
      preset: "gpu" as const,
      minSize: 0,
      maxSize: 2,
      labels: { team: "ml" },
      taints: [{ key: "nvidia.com/gpu", value: "yes", effect: "NoSchedule" as const }],
    };
    const spec = resolveClusterSpec({
      name: "demo",
      tier: "dev",
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      api: { allowedCidrs: ["203.0.113.0/24"] },
      nodePools: [written],
    });
    expect(spec.nodePools).toEqual([completePool(written)]);
    expect(nodePool("ml", "gpu", { minSize: 0, maxSize: 2, labels: { team: "ml" }, taints: written.taints })).toEqual(
      completePool(written),
    );
    expect(resolvePool).toBe(completePool);
  });

  test("nodePool() refuses what a NodePool would refuse, naming the pool and the option", () => {
    expect(() => nodePool("x", "general", { minSize: 3, maxSize: 2 })).toThrow(
      /^nodePool\("x", "general", \.\.\.\): node pool x: maxSize: must be >= minSize \(3\)$/,
    );
    expect(() => nodePool("x", "general", { minSize: 1, maxSize: 2, labels: { "node-role.kubernetes.io/worker": "" } })).toThrow(
      /labels\["node-role\.kubernetes\.io\/worker"\]: "node-role\.kubernetes\.io\/worker" is in the kubelet-restricted namespaces/,
    );
    expect(() => nodePool("x", "general", { minSize: 1, maxSize: 2, taints: [{ key: "bad key", effect: "NoSchedule" }] })).toThrow(
      /taints\[0\]\.key: "bad key" is not a valid key/,
    );
    expect(() =>
      nodePool("x", "general", { minSize: 1, maxSize: 2, labels: { "beta.kubernetes.io/instance-type": "m5.large" } }),
    ).not.toThrow();
  });
});

describe("autoscaler tags", () => {
  test("discovery tags", () => {
    expect(autoscalerDiscoveryTags("prod")).toEqual({
      "k8s.io/cluster-autoscaler/enabled": "true",
      "k8s.io/cluster-autoscaler/prod": "owned",
    });
  });

  test("node-template tags describe every label and taint (value:Effect), so a pool scales from zero", () => {
    expect(
      nodeTemplateTags({
        labels: { "node.kubeadm-aws.io/class": "gpu", "nvidia.com/gpu.present": "true" },
        taints: [
          { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
          { key: "dedicated", effect: "NoExecute" },
        ],
      }),
    ).toEqual({
      "k8s.io/cluster-autoscaler/node-template/label/node.kubeadm-aws.io/class": "gpu",
      "k8s.io/cluster-autoscaler/node-template/label/nvidia.com/gpu.present": "true",
      "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "present:NoSchedule",
      "k8s.io/cluster-autoscaler/node-template/taint/dedicated": ":NoExecute",
    });
  });

  test("property: cluster tags propagate, autoscaler tags stay on the group, keys are unique", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,8}(\.[a-z]{2,5})?\/[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.stringMatching(/^[a-z0-9]{0,8}$/)),
        fc.array(
          fc.record({
            key,
            value: fc.stringMatching(/^[a-z0-9]{1,8}$/),
            effect: fc.constantFrom("NoSchedule" as const, "NoExecute" as const, "PreferNoSchedule" as const),
          }),
          { maxLength: 3 },
        ),
        (labels, taints) => {
          const tags = asgTags("c1", { team: "t" }, { name: "p", labels, taints }, "c1-p");
          const keys = tags.map((t) => t.key);
          expect(new Set(keys).size).toBe(keys.length);
          for (const t of tags) {
            const autoscaler = t.key.startsWith("k8s.io/cluster-autoscaler/");
            expect(t.propagateAtLaunch).toBe(!autoscaler);
          }
          expect(tags).toContainEqual({ key: "kubernetes.io/cluster/c1", value: "owned", propagateAtLaunch: true });
          for (const [k, v] of Object.entries(labels))
            expect(tags).toContainEqual({ key: `k8s.io/cluster-autoscaler/node-template/label/${k}`, value: v, propagateAtLaunch: false });
        },
      ),
    );
  });
});

describe("group settings", () => {
  test("mixed instances only with spot or several types; on-demand-only keeps 100% on-demand", () => {
    const od = nodePool("a", "general", { minSize: 1, maxSize: 2 });
    expect(needsMixedInstances(od)).toBe(false);
    const multi = { ...od, instanceTypes: ["m5.xlarge", "m5a.xlarge"] };
    expect(needsMixedInstances(multi)).toBe(true);
    expect(mixedInstancesPolicy(multi, "lt-1", "3").instancesDistribution).toEqual({
      onDemandAllocationStrategy: "prioritized",
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBaseCapacity: 100,
      spotAllocationStrategy: "price-capacity-optimized",
    });
    const spot = nodePool("s", "compute", {
      minSize: 0,
      maxSize: 9,
      spot: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 25 },
    });
    expect(mixedInstancesPolicy(spot, "lt-1", "3")).toEqual({
      instancesDistribution: {
        onDemandAllocationStrategy: "prioritized",
        onDemandBaseCapacity: 1,
        onDemandPercentageAboveBaseCapacity: 25,
        spotAllocationStrategy: "price-capacity-optimized",
      },
      launchTemplate: {
        launchTemplateSpecification: { launchTemplateId: "lt-1", version: "3" },
        overrides: [{ instanceType: "c5.2xlarge" }],
      },
    });
  });

  test("instance refresh: rolling with the pool's minimum healthy percentage; 100% may surge", () => {
    expect(instanceRefresh({ minHealthyPercentage: 90 })).toEqual({
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: 90,
        maxHealthyPercentage: 100,
        instanceWarmup: "300",
        skipMatching: true,
        scaleInProtectedInstances: "Ignore",
        standbyInstances: "Ignore",
      },
    });
    const full = instanceRefresh({ minHealthyPercentage: 100 }).preferences;
    expect(full.maxHealthyPercentage).toBeGreaterThan(100);
    expect(full.maxHealthyPercentage - full.minHealthyPercentage).toBeLessThanOrEqual(100);
  });
});
