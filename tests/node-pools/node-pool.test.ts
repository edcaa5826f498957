import { NodePool, nodePool } from "../../components/node-pools";
import type { NodePoolSpec } from "../../components/spec";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { STACKS, decodeBase64, stackSpec } from "../cluster/fixtures";

const SUBNETS = ["subnet-a", "subnet-b", "subnet-c"];

async function recordPool(cluster: string, pool: NodePoolSpec, extra: { targetGroupArns?: string[] } = {}) {
  const rec = await recordProgram(() => {
    new NodePool(`${cluster}-${pool.name}`, {
      clusterName: cluster,
      pool,
      privateSubnetIds: SUBNETS,
      securityGroupIds: ["sg-workers"],
      imageId: "ami-0123456789abcdef0",
      instanceProfileName: `${cluster}-worker`,
      userData: `#cloud-config\n# stub for ${pool.name}\n`,
      tags: { team: "platform" },
      ...extra,
    });
  });
  expect(rec.errors).toEqual([]);
  const lt = named(rec, "aws:ec2/launchTemplate:LaunchTemplate", `${cluster}-${pool.name}-lt`);
  const asg = named(rec, "aws:autoscaling/group:Group", `${cluster}-${pool.name}-asg`);
  return { rec, lt: inputs(lt), asg: inputs(asg), asgRecord: asg };
}

describe.each(STACKS)("NodePool for every pool of stack %s", (stack) => {
  const spec = stackSpec(stack);
  test.each(spec.nodePools.map((p) => [p.name, p] as const))("pool %s: launch template and group", async (_, pool) => {
    const { lt, asg, asgRecord, rec } = await recordPool(spec.name, pool);
    const mixed = pool.spot !== undefined || pool.instanceTypes.length > 1;
    // Launch template: IMDSv2 with hop limit 1, encrypted root, no public IP, user data stub.
    expect(lt.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    });
    expect(lt.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/sda1",
        ebs: { volumeSize: pool.rootVolumeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      },
    ]);
    expect(lt.networkInterfaces).toEqual([
      { deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: ["sg-workers"] },
    ]);
    expect(lt.imageId).toBe("ami-0123456789abcdef0");
    expect(lt.iamInstanceProfile).toEqual({ name: `${spec.name}-worker` });
    expect(decodeBase64(lt.userData)).toBe(`#cloud-config\n# stub for ${pool.name}\n`);
    expect(lt.instanceType).toBe(mixed ? undefined : pool.instanceTypes[0]);
    // Group: sizes, private subnets, desired ignored after creation, refresh on template change.
    expect([asg.minSize, asg.maxSize, asg.desiredCapacity]).toEqual([pool.minSize, pool.maxSize, pool.desiredSize]);
    expect(asg.vpcZoneIdentifiers).toEqual(SUBNETS);
    expect(asgRecord.ignoreChanges).toEqual(["desiredCapacity"]);
    expect(asg.instanceRefresh).toEqual({
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: pool.minHealthyPercentage,
        maxHealthyPercentage: 100,
        instanceWarmup: "300",
        skipMatching: true,
        scaleInProtectedInstances: "Ignore",
        standbyInstances: "Ignore",
      },
    });
    const ltId = ofType(rec, "aws:ec2/launchTemplate:LaunchTemplate")[0]!.id;
    if (mixed) {
      expect(asg.launchTemplate).toBeUndefined();
      expect(asg.mixedInstancesPolicy.launchTemplate).toEqual({
        launchTemplateSpecification: { launchTemplateId: ltId, version: "1" },
        overrides: pool.instanceTypes.map((instanceType) => ({ instanceType })),
      });
      expect(asg.mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity).toBe(
        pool.spot ? pool.spot.onDemandPercentageAboveBaseCapacity : 100,
      );
    } else {
      // version = the template's latestVersion, so a new template version starts the refresh.
      expect(asg.launchTemplate).toEqual({ id: ltId, version: "1" });
      expect(asg.mixedInstancesPolicy).toBeUndefined();
    }
    expect(asg.capacityRebalance).toBe(pool.spot !== undefined);
    // Tags: discovery + node templates on the group; cluster tags propagate.
    const tags = asg.tags as { key: string; value: string; propagateAtLaunch: boolean }[];
    expect(tags).toContainEqual({ key: "k8s.io/cluster-autoscaler/enabled", value: "true", propagateAtLaunch: false });
    expect(tags).toContainEqual({ key: `k8s.io/cluster-autoscaler/${spec.name}`, value: "owned", propagateAtLaunch: false });
    expect(tags).toContainEqual({ key: `kubernetes.io/cluster/${spec.name}`, value: "owned", propagateAtLaunch: true });
    expect(tags).toContainEqual({ key: "team", value: "platform", propagateAtLaunch: true });
    for (const [k, v] of Object.entries(pool.labels))
      expect(tags).toContainEqual({ key: `k8s.io/cluster-autoscaler/node-template/label/${k}`, value: v, propagateAtLaunch: false });
    for (const t of pool.taints)
      expect(tags).toContainEqual({
        key: `k8s.io/cluster-autoscaler/node-template/taint/${t.key}`,
        value: `${t.value ?? ""}:${t.effect}`,
        propagateAtLaunch: false,
      });
    expect(tags.some((t) => t.key.includes("node-role.kubernetes.io"))).toBe(false);
  });
});

describe("NodePool presets", () => {
  test("gpu pool: both GPU types as overrides and the nvidia.com/gpu taint template", async () => {
    const { asg } = await recordPool(
      "prod",
      stackSpec("prod").nodePools.find((p) => p.preset === "gpu")!,
    );
    expect(asg.mixedInstancesPolicy.launchTemplate.overrides).toEqual([{ instanceType: "g4dn.xlarge" }, { instanceType: "g4dn.2xlarge" }]);
    expect(asg.tags).toContainEqual({
      key: "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu",
      value: "present:NoSchedule",
      propagateAtLaunch: false,
    });
  });

  test("spot compute pool: 20% on-demand above a base of 0, capacity rebalancing", async () => {
    const { asg } = await recordPool(
      "prod",
      stackSpec("prod").nodePools.find((p) => p.name === "compute")!,
    );
    expect(asg.mixedInstancesPolicy.instancesDistribution).toEqual({
      onDemandAllocationStrategy: "prioritized",
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBaseCapacity: 20,
      spotAllocationStrategy: "price-capacity-optimized",
    });
    expect(asg.capacityRebalance).toBe(true);
  });

  test("ingress pool registers in the ingress load balancer's target groups", async () => {
    const { asg } = await recordPool("c", nodePool("edge", "ingress", { minSize: 2, maxSize: 4 }), {
      targetGroupArns: ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/c-ingress/abc"],
    });
    expect(asg.targetGroupArns).toEqual(["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/c-ingress/abc"]);
    expect(asg.tags).toContainEqual({
      key: "k8s.io/cluster-autoscaler/node-template/label/node.kubeadm-aws.io/role",
      value: "ingress",
      propagateAtLaunch: false,
    });
  });

  test("a pool with a kubelet-restricted label is refused before anything is created", async () => {
    const bad = { ...nodePool("x", "general", { minSize: 1, maxSize: 2 }), labels: { "node-role.kubernetes.io/worker": "" } };
    const rec = await recordProgram(() => {
      new NodePool("x", {
        clusterName: "c",
        pool: bad,
        privateSubnetIds: SUBNETS,
        securityGroupIds: [],
        imageId: "ami-1",
        instanceProfileName: "p",
        userData: "",
      });
    });
    expect(rec.errors.join("\n")).toMatch(/node-role\.kubernetes\.io/);
    expect(ofType(rec, "aws:autoscaling/group:Group")).toEqual([]);
  });
});
