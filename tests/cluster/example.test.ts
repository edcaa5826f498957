import { customCluster, examplePools, exampleSpec } from "../../examples/custom-cluster";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { decodeBase64 } from "./fixtures";

describe("examples/custom-cluster (no stack config)", () => {
  test("builds an Environment and a Cluster with its own pools", async () => {
    const spec = exampleSpec();
    const rec = await recordProgram(customCluster, { region: spec.region, availabilityZones: spec.availabilityZones, config: {} });
    expect(rec.errors).toEqual([]);
    const types = new Set(rec.resources.map((r) => r.type));
    for (const t of [
      "pulumi-kubeadm-aws:environment:Environment",
      "pulumi-kubeadm-aws:cluster:Cluster",
      "pulumi-kubeadm-aws:control-plane:ControlPlane",
      "pulumi-kubeadm-aws:node-pools:NodePool",
    ])
      expect(types).toContain(t);

    // Its own pools, not the tier's default pool.
    const groups = ofType(rec, "aws:autoscaling/group:Group").filter((g) => g.name !== "acme-bastion-asg");
    expect(groups.map((g) => g.name).sort()).toEqual(["acme-apps-asg", "acme-batch-asg", "acme-edge-asg", "acme-ml-asg"]);
    const batch = inputs(named(rec, "aws:autoscaling/group:Group", "acme-batch-asg"));
    expect(batch.mixedInstancesPolicy.launchTemplate.overrides).toEqual([{ instanceType: "c5.2xlarge" }, { instanceType: "c5a.2xlarge" }]);
    expect(batch.mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity).toBe(0);
    expect(batch.instanceRefresh.preferences.minHealthyPercentage).toBe(50);
    const edge = inputs(named(rec, "aws:autoscaling/group:Group", "acme-edge-asg"));
    expect(edge.tags).toContainEqual({
      key: "k8s.io/cluster-autoscaler/node-template/label/acme.io/zone-group",
      value: "edge",
      propagateAtLaunch: false,
    });
    expect(edge.tags).toContainEqual({
      key: "k8s.io/cluster-autoscaler/node-template/taint/node.kubeadm-aws.io/role",
      value: "ingress:NoSchedule",
      propagateAtLaunch: false,
    });

    // Every pool boots the worker stub of its own role; the gpu pool's join carries the nvidia taint.
    for (const pool of examplePools()) {
      const lt = inputs(named(rec, "aws:ec2/launchTemplate:LaunchTemplate", `acme-${pool.name}-lt`));
      expect(decodeBase64(lt.userData)).toMatch(new RegExp(`worker-${pool.name}`));
    }
    const joins = rec.artifacts.get("worker-ml")!.find((f) => f.path.endsWith("join.yaml"))!.content;
    expect(joins).toMatch(/nvidia\.com\/gpu/);

    const out = rec.outputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.apiName).toBe("api.acme.k8s.acme.internal");
    expect(out.kubeconfig).toBe("[secret]");
    expect(Object.keys(out.nodePools).sort()).toEqual(["apps", "batch", "edge", "ml"]);
    expect(typeof out.bastion).toBe("string");
  });
});
