import { ControlPlane, controlPlaneNodes, maxNodesPerAz, spreadOverAzs } from "../../components/control-plane";
import type { ClusterSpec } from "../../components/spec";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { tierSpec } from "../cluster/fixtures";
import fc from "fast-check";
import * as aws from "@pulumi/aws";

const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/c-api/0123456789abcdef";

async function recordControlPlane(spec: ClusterSpec, extra: { after?: boolean } = {}) {
  const subnets = spec.availabilityZones.map((_, i) => `subnet-${i}`);
  const rec = await recordProgram(() => {
    // Stands in for a dedicated etcd member (its data volume).
    const etcd = extra.after ? new aws.ebs.Volume("etcd-0-data", { availabilityZone: "eu-west-1a", size: 20 }) : undefined;
    new ControlPlane("cp", {
      clusterName: spec.name,
      controlPlane: spec.controlPlane,
      privateSubnetIds: subnets,
      securityGroupIds: ["sg-cp"],
      targetGroupArn: TG,
      imageId: "ami-0123456789abcdef0",
      userData: Array.from(
        { length: spec.controlPlane.count },
        (_, i) => `#cloud-config\n# control-plane-${i} ${i === 0 ? "init" : "join"}\n`,
      ),
      instanceProfileNames: Array.from({ length: spec.controlPlane.count }, (_, i) => `p-control-plane-${i}`),
      after: etcd ? [etcd] : [],
      tags: { team: "platform" },
    });
  });
  expect(rec.errors).toEqual([]);
  return { rec, subnets };
}

describe("placement", () => {
  test("round-robin spread; node 0 inits, the others join", () => {
    expect(spreadOverAzs(5, 3)).toEqual([0, 1, 2, 0, 1]);
    expect(controlPlaneNodes(3, 3).map((n) => [n.azIndex, n.bootstrap, n.role])).toEqual([
      [0, "init", "control-plane-0"],
      [1, "join", "control-plane-1"],
      [2, "join", "control-plane-2"],
    ]);
    expect(() => spreadOverAzs(3, 0)).toThrow(/at least one private subnet/);
  });

  test("property: no AZ holds more than ceil(count / azs) nodes, so one lost AZ never takes a majority of 3 or 5 over 3 AZs", () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 3, 5), fc.integer({ min: 1, max: 6 }), (count, azs) => {
        expect(maxNodesPerAz(count, azs)).toBe(Math.ceil(count / azs));
        if (azs >= 3 && count >= 3) expect(maxNodesPerAz(count, azs)).toBeLessThan(Math.floor(count / 2) + 1);
      }),
    );
  });
});

describe.each(["dev", "standard", "critical"] as const)("ControlPlane, tier %s", (tier) => {
  const spec = tierSpec(tier);
  test("instances: count, type, AZ spread, IMDS, encrypted root, no public IP, user data per node", async () => {
    const { rec, subnets } = await recordControlPlane(spec);
    const instances = ofType(rec, "aws:ec2/instance:Instance");
    expect(instances.map((i) => i.name)).toEqual(Array.from({ length: spec.controlPlane.count }, (_, i) => `cp-${i}`));
    instances.forEach((r, i) => {
      const x = inputs(r);
      expect(x.instanceType).toBe(spec.controlPlane.instanceType);
      expect(x.subnetId).toBe(subnets[i % subnets.length]);
      expect(x.ami).toBe("ami-0123456789abcdef0");
      expect(x.metadataOptions).toEqual({
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      });
      expect(x.rootBlockDevice).toEqual({
        volumeSize: spec.controlPlane.rootVolumeGiB,
        volumeType: "gp3",
        encrypted: true,
        deleteOnTermination: true,
        tags: expect.objectContaining({ [`kubernetes.io/cluster/${spec.name}`]: "owned" }),
      });
      expect(x.associatePublicIpAddress).toBe(false);
      expect(x.vpcSecurityGroupIds).toEqual(["sg-cp"]);
      expect(x.userData).toBe(`#cloud-config\n# control-plane-${i} ${i === 0 ? "init" : "join"}\n`);
      expect(x.userDataReplaceOnChange).toBe(true);
      expect(x.tags).toEqual({
        team: "platform",
        "pulumi-kubeadm-aws:cluster": spec.name,
        [`kubernetes.io/cluster/${spec.name}`]: "owned",
        Name: `${spec.name}-control-plane-${i}`,
        "pulumi-kubeadm-aws:role": "control-plane",
      });
    });
    // Spread: with 3 nodes over 3 AZs, every AZ has one.
    const used = new Set(instances.map((r) => inputs(r).subnetId));
    expect(used.size).toBe(Math.min(spec.controlPlane.count, subnets.length));
  });

  test("every node is registered in the API target group on 6443", async () => {
    const { rec } = await recordControlPlane(spec);
    const instances = ofType(rec, "aws:ec2/instance:Instance");
    const attachments = ofType(rec, "aws:lb/targetGroupAttachment:TargetGroupAttachment");
    expect(attachments.map((a) => inputs(a))).toEqual(instances.map((i) => ({ targetGroupArn: TG, targetId: i.id, port: 6443 })));
  });
});

describe("control-plane replacement", () => {
  test("nodes are chained after etcd: node 0 depends on etcd, node i on node i-1, each deleted before replaced", async () => {
    const { rec } = await recordControlPlane(tierSpec("critical"), { after: true });
    const etcd = named(rec, "aws:ebs/volume:Volume", "etcd-0-data");
    const [n0, n1, n2] = ["cp-0", "cp-1", "cp-2"].map((n) => named(rec, "aws:ec2/instance:Instance", n));
    expect(n0!.dependencies).toContain(etcd.urn);
    expect(n1!.dependencies).toContain(n0!.urn);
    expect(n2!.dependencies).toContain(n1!.urn);
    expect(n2!.dependencies).not.toContain(n0!.urn);
    for (const n of [n0!, n1!, n2!]) {
      expect(n.deleteBeforeReplace).toBe(true);
      expect(n.protect).toBe(false);
    }
  });
});

describe("control-plane IAM", () => {
  test("no IAM of its own: each node runs with the instance profile its boot made", async () => {
    const spec = tierSpec("standard");
    const { rec } = await recordControlPlane(spec);
    expect(ofType(rec, "aws:iam/role:Role")).toEqual([]);
    expect(ofType(rec, "aws:iam/rolePolicy:RolePolicy")).toEqual([]);
    expect(ofType(rec, "aws:iam/instanceProfile:InstanceProfile")).toEqual([]);
    expect(ofType(rec, "aws:ec2/instance:Instance").map((i) => inputs(i).iamInstanceProfile)).toEqual(
      Array.from({ length: spec.controlPlane.count }, (_, i) => `p-control-plane-${i}`),
    );
  });

  test("one instance profile per node", async () => {
    const rec = await recordProgram(() => {
      new ControlPlane("cp", {
        clusterName: "c",
        controlPlane: { count: 3, instanceType: "m5.large", rootVolumeGiB: 50 },
        privateSubnetIds: ["a", "b", "c"],
        securityGroupIds: [],
        targetGroupArn: TG,
        imageId: "ami-1",
        userData: ["x", "y", "z"],
        instanceProfileNames: ["p0"],
      });
    });
    expect(rec.errors.join()).toMatch(/3 nodes need 3 instance profiles \(got 1\)/);
  });

  test("user data must match the node count", async () => {
    const rec = await recordProgram(() => {
      new ControlPlane("cp", {
        clusterName: "c",
        controlPlane: { count: 3, instanceType: "m5.large", rootVolumeGiB: 50 },
        privateSubnetIds: ["a", "b", "c"],
        securityGroupIds: [],
        targetGroupArn: TG,
        imageId: "ami-1",
        userData: ["x"],
        instanceProfileNames: ["p0", "p1", "p2"],
      });
    });
    expect(rec.errors.join()).toMatch(/3 nodes need 3 user data entries/);
  });
});
