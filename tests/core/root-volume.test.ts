/**
 * The root volume has one source (components/core/instance.ts): every machine role, node pool,
 * bastion, control-plane node and etcd member, boots from an encrypted gp3 root volume deleted with
 * its instance, as the resources recorded under Pulumi's mocks show. The two instance roles keep
 * exactly the fields they have always had, so the shared source does not diff (and so replace) them.
 */
import { Bastion } from "../../components/bastion";
import { ControlPlane } from "../../components/control-plane";
import { ROOT_DEVICE, ROOT_VOLUME, instanceRootVolume, launchTemplateRootVolume } from "../../components/core";
import { NodePool, nodePool } from "../../components/node-pools";
import type { ClusterSpec, NodePoolSpec } from "../../components/spec";
import { tierSpec } from "../cluster/fixtures";
import { etcdSpec, recordEtcd } from "../etcd/fixtures";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { specFor } from "../network/fixtures";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const INSTANCE = "aws:ec2/instance:Instance";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/root";

/** What every launch template's one block device mapping must be: the image's root, encrypted gp3, deleted with the instance. */
const launchTemplateRoot = (volumeSize: number, extra: Record<string, unknown> = {}) => [
  { deviceName: "/dev/sda1", ebs: { volumeSize, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true", ...extra } },
];
/** What every instance's root block device must be, no more fields than before the shared source. */
const instanceRoot = (volumeSize: number, extra: Record<string, unknown> = {}) => ({
  volumeSize,
  volumeType: "gp3",
  encrypted: true,
  deleteOnTermination: true,
  ...extra,
});

describe("one source, two shapes", () => {
  test("an instance's root block device and a launch template's mapping state the same facts", () => {
    expect(ROOT_VOLUME).toEqual({ volumeType: "gp3", encrypted: true, deleteOnTermination: true });
    expect(ROOT_DEVICE).toBe("/dev/sda1"); // packer/build.pkr.hcl builds the images' root there
    for (const kms of [undefined, KEY]) {
      const inst = instanceRootVolume(42, kms);
      const lt = launchTemplateRootVolume(42, kms);
      expect(lt.deviceName).toBe(ROOT_DEVICE);
      // The launch template API takes booleans as strings; otherwise the fields are the instance's.
      expect(lt.ebs).toEqual({ ...inst, encrypted: String(inst.encrypted), deleteOnTermination: String(inst.deleteOnTermination) });
    }
    expect(instanceRootVolume(42)).toEqual(instanceRoot(42));
    expect(instanceRootVolume(42, KEY)).toEqual(instanceRoot(42, { kmsKeyId: KEY }));
    expect(launchTemplateRootVolume(42, undefined, "/dev/xvda")).toEqual({ ...launchTemplateRoot(42)[0]!, deviceName: "/dev/xvda" });
  });
});

async function recordPool(pool: NodePoolSpec, rootVolumeKmsKeyId?: string) {
  const rec = await recordProgram(() => {
    new NodePool(`c-${pool.name}`, {
      clusterName: "c",
      pool,
      privateSubnetIds: ["subnet-a"],
      securityGroupIds: ["sg-workers"],
      imageId: "ami-0123456789abcdef0",
      instanceProfileName: "c-worker",
      userData: "#cloud-config\n",
      ...(rootVolumeKmsKeyId ? { rootVolumeKmsKeyId } : {}),
    });
  });
  expect(rec.errors).toEqual([]);
  return inputs(named(rec, LT, `c-${pool.name}-lt`));
}

describe("node pool", () => {
  test.each([
    ["general", 50],
    ["gpu", 100],
  ] as const)("%s preset: encrypted gp3 root of the preset's size (%i GiB), deleted on termination", async (preset, size) => {
    const lt = await recordPool(nodePool(preset, preset, { minSize: 0, maxSize: 2 }));
    expect(lt.blockDeviceMappings).toEqual(launchTemplateRoot(size));
  });

  test("the pool's own size and the KMS key", async () => {
    const lt = await recordPool(nodePool("big", "general", { minSize: 0, maxSize: 2, rootVolumeGiB: 200 }), KEY);
    expect(lt.blockDeviceMappings).toEqual(launchTemplateRoot(200, { kmsKeyId: KEY }));
  });
});

async function recordBastion(extra: { rootVolumeGiB?: number; rootDeviceName?: string } = {}) {
  const rec = await recordProgram(() => {
    new Bastion("b", {
      spec: specFor("dev"),
      vpcId: "vpc-0123456789abcdef0",
      publicSubnetIds: ["subnet-0a000000000000000"],
      imageId: "ami-0123456789abcdef0",
      ...extra,
    });
  });
  expect(rec.errors).toEqual([]);
  return inputs(named(rec, LT, "b-lt"));
}

describe("bastion", () => {
  test("encrypted gp3 root of 16 GiB by default, deleted on termination", async () => {
    expect((await recordBastion()).blockDeviceMappings).toEqual(launchTemplateRoot(16));
  });

  test("its own size and root device", async () => {
    const lt = await recordBastion({ rootVolumeGiB: 24, rootDeviceName: "/dev/xvda" });
    expect(lt.blockDeviceMappings).toEqual([{ ...launchTemplateRoot(24)[0]!, deviceName: "/dev/xvda" }]);
  });
});

async function recordControlPlane(spec: ClusterSpec, rootVolumeKmsKeyId?: string) {
  const count = spec.controlPlane.count;
  const rec = await recordProgram(() => {
    new ControlPlane("cp", {
      clusterName: spec.name,
      controlPlane: spec.controlPlane,
      privateSubnetIds: spec.availabilityZones.map((_, i) => `subnet-${i}`),
      securityGroupIds: ["sg-cp"],
      targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/c-api/0123456789abcdef",
      imageId: "ami-0123456789abcdef0",
      userData: Array.from({ length: count }, () => "#cloud-config\n"),
      instanceProfileNames: Array.from({ length: count }, (_, i) => `p-${i}`),
      ...(rootVolumeKmsKeyId ? { rootVolumeKmsKeyId } : {}),
    });
  });
  expect(rec.errors).toEqual([]);
  return ofType(rec, INSTANCE).map(inputs);
}

describe("control plane", () => {
  test.each(["dev", "standard"] as const)(
    "tier %s: every node's root is encrypted gp3 of the spec's size, deleted on termination; the same fields as ever",
    async (tier) => {
      const spec = tierSpec(tier);
      const instances = await recordControlPlane(spec);
      expect(instances).toHaveLength(spec.controlPlane.count);
      instances.forEach((x, i) => {
        expect(x.rootBlockDevice).toEqual({
          ...instanceRoot(spec.controlPlane.rootVolumeGiB),
          tags: {
            "pulumi-kubeadm-aws:cluster": spec.name,
            [`kubernetes.io/cluster/${spec.name}`]: "owned",
            Name: `${spec.name}-control-plane-${i}-root`,
          },
        });
      });
    },
  );

  test("the KMS key reaches every node's root", async () => {
    const spec = tierSpec("dev", { controlPlane: { rootVolumeGiB: 64 } });
    for (const x of await recordControlPlane(spec, KEY)) {
      expect(x.rootBlockDevice).toEqual({ ...instanceRoot(64, { kmsKeyId: KEY }), tags: expect.any(Object) });
    }
  });
});

describe("etcd members", () => {
  test("each member's root is encrypted gp3 of 30 GiB by default, deleted on termination; the same fields as ever", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }));
    expect(rec.errors).toEqual([]);
    const instances = ofType(rec, INSTANCE);
    expect(instances).toHaveLength(3);
    for (const r of instances) expect(inputs(r).rootBlockDevice).toEqual(instanceRoot(30));
  });

  test("their own size, and the KMS key of their volumes", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "containerized", members: 1 }), {
      rootVolumeGiB: 40,
      kmsKeyArn: KEY,
    });
    expect(rec.errors).toEqual([]);
    const [member] = ofType(rec, INSTANCE);
    expect(inputs(member!).rootBlockDevice).toEqual(instanceRoot(40, { kmsKeyId: KEY }));
  });
});
