import { ControlPlane, controlPlaneNodes, maxNodesPerAz, spreadOverAzs } from "../../components/control-plane";
import type { ClusterSpec } from "../../components/config";
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
      clusterName: spec.name, region: spec.region, controlPlane: spec.controlPlane, privateSubnetIds: subnets, securityGroupIds: ["sg-cp"],
      targetGroupArn: TG, imageId: "ami-0123456789abcdef0",
      userData: Array.from({ length: spec.controlPlane.count }, (_, i) => `#cloud-config\n# control-plane-${i} ${i === 0 ? "init" : "join"}\n`),
      bootstrapSecretArns: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:c-control-plane-abc"],
      bootstrapKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
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
    expect(controlPlaneNodes(3, 3).map((n) => [n.azIndex, n.bootstrap, n.role])).toEqual([[0, "init", "control-plane-0"], [1, "join", "control-plane-1"], [2, "join", "control-plane-2"]]);
    expect(() => spreadOverAzs(3, 0)).toThrow(/at least one private subnet/);
  });

  test("property: no AZ holds more than ceil(count / azs) nodes, so one lost AZ never takes a majority of 3 or 5 over 3 AZs", () => {
    fc.assert(fc.property(fc.constantFrom(1, 3, 5), fc.integer({ min: 1, max: 6 }), (count, azs) => {
      expect(maxNodesPerAz(count, azs)).toBe(Math.ceil(count / azs));
      if (azs >= 3 && count >= 3) expect(maxNodesPerAz(count, azs)).toBeLessThan(Math.floor(count / 2) + 1);
    }));
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
      expect(x.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
      expect(x.rootBlockDevice).toEqual({ volumeSize: spec.controlPlane.rootVolumeGiB, volumeType: "gp3", encrypted: true, deleteOnTermination: true, tags: expect.objectContaining({ [`kubernetes.io/cluster/${spec.name}`]: "owned" }) });
      expect(x.associatePublicIpAddress).toBe(false);
      expect(x.vpcSecurityGroupIds).toEqual(["sg-cp"]);
      expect(x.userData).toBe(`#cloud-config\n# control-plane-${i} ${i === 0 ? "init" : "join"}\n`);
      expect(x.userDataReplaceOnChange).toBe(true);
      expect(x.tags).toEqual({ team: "platform", "pulumi-kubeadm-aws:cluster": spec.name, [`kubernetes.io/cluster/${spec.name}`]: "owned", Name: `${spec.name}-control-plane-${i}`, "pulumi-kubeadm-aws:role": "control-plane" });
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
  test("own role: EC2 trust, CCM policy, and read access to its bootstrap secret only", async () => {
    const { rec } = await recordControlPlane(tierSpec("standard"));
    const role = inputs(named(rec, "aws:iam/role:Role", "cp-role"));
    expect(JSON.parse(role.assumeRolePolicy).Statement).toEqual([{ Sid: "Ec2Assume", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    expect(inputs(named(rec, "aws:iam/instanceProfile:InstanceProfile", "cp-profile")).role).toBe(role.name);
    const policies = ofType(rec, "aws:iam/rolePolicy:RolePolicy").map((p) => ({ name: inputs(p).name, doc: JSON.parse(inputs(p).policy) }));
    expect(policies.map((p) => p.name).sort()).toEqual(["bootstrap-secret", "cloud-controller-manager"]);
    const secret = policies.find((p) => p.name === "bootstrap-secret")!.doc;
    expect(secret.Statement).toEqual([
      { Sid: "ReadOwnBootstrapSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:c-control-plane-abc"] },
      { Sid: "DecryptViaSecretsManager", Effect: "Allow", Action: ["kms:Decrypt"], Resource: "arn:aws:kms:eu-west-1:123456789012:key/k", Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } } },
    ]);
    expect(ofType(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
    const inst = ofType(rec, "aws:ec2/instance:Instance").map((i) => inputs(i).iamInstanceProfile);
    expect(new Set(inst)).toEqual(new Set([inputs(named(rec, "aws:iam/instanceProfile:InstanceProfile", "cp-profile")).name]));
  });

  test("a role passed in gets the CCM policy and no role of its own is created", async () => {
    const rec = await recordProgram(() => {
      new ControlPlane("cp", {
        clusterName: "c", region: "eu-west-1", controlPlane: { count: 1, instanceType: "m5.large", rootVolumeGiB: 50 }, privateSubnetIds: ["subnet-0"],
        securityGroupIds: [], targetGroupArn: TG, imageId: "ami-1", userData: ["#cloud-config\n"], iam: { roleName: "c-cp", instanceProfileName: "c-cp" },
      });
    });
    expect(rec.errors).toEqual([]);
    expect(ofType(rec, "aws:iam/role:Role")).toEqual([]);
    expect(inputs(named(rec, "aws:iam/rolePolicy:RolePolicy", "cp-ccm")).role).toBe("c-cp");
    expect(inputs(named(rec, "aws:ec2/instance:Instance", "cp-0")).iamInstanceProfile).toBe("c-cp");
  });

  test("user data must match the node count", async () => {
    const rec = await recordProgram(() => {
      new ControlPlane("cp", { clusterName: "c", region: "eu-west-1", controlPlane: { count: 3, instanceType: "m5.large", rootVolumeGiB: 50 }, privateSubnetIds: ["a", "b", "c"], securityGroupIds: [], targetGroupArn: TG, imageId: "ami-1", userData: ["x"] });
    });
    expect(rec.errors.join()).toMatch(/3 nodes need 3 user data entries/);
  });
});
