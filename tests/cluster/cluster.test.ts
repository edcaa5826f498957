import * as pulumi from "@pulumi/pulumi";
import { apiName } from "../../components/api-endpoint";
import { Cluster, type ClusterBootstrap } from "../../components/cluster";
import type { ClusterSpec } from "../../components/spec";
import { imageFilters } from "../../components/images";
import { PlanMocks } from "../../tools/plan/mocks";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { STACKS, decodeBase64, stackSpec, testEnvironment } from "./fixtures";

/** A bootstrap stand-in: per-role stubs that name their role, so the wiring can be asserted. */
function fakeBootstrap(): ClusterBootstrap {
  return {
    controlPlane: (node) => ({
      userData: `#cloud-config\n# ${node.role} ${node.bootstrap}\n`,
      roleName: `r-${node.role}`,
      instanceProfileName: `p-${node.role}`,
    }),
    worker: (pool) => ({ userData: `#cloud-config\n# worker-${pool.name}\n`, instanceProfileName: `p-worker-${pool.name}` }),
    adminKubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
  };
}

function amiFor(spec: ClusterSpec, variant: "node" | "gpu"): string {
  return new PlanMocks({ region: spec.region, availabilityZones: spec.availabilityZones }).call({
    token: "aws:ec2/getAmi:getAmi",
    inputs: { owners: ["self"], filters: imageFilters(spec.versions, variant), mostRecent: false },
    provider: "",
  }).id;
}

async function recordCluster(spec: ClusterSpec, opts: { sharedBucket?: boolean } = {}) {
  const subnets = spec.availabilityZones.map((_, i) => `subnet-priv-${i}`);
  const rec = await recordProgram(() => {
    const c = new Cluster(spec.name, {
      spec,
      environment: {
        vpcId: "vpc-1",
        privateSubnetIds: subnets,
        publicSubnetIds: spec.availabilityZones.map((_, i) => `subnet-pub-${i}`),
        bastionAccess: "ssh -J ubuntu@198.51.100.1",
        ...(opts.sharedBucket ? { backupBucketName: "shared-backups" } : {}),
      },
      apiEndpoint: {
        apiName: apiName(spec.name, spec.api.domain),
        targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1",
      },
      bootstrap: fakeBootstrap(),
    });
    return {
      apiName: c.apiName,
      adminKubeconfig: c.adminKubeconfig,
      nodePoolGroupNames: c.nodePoolGroupNames,
      bastionAccess: c.bastionAccess,
      backupBucket: c.backupBucketName,
    };
  });
  expect(rec.errors).toEqual([]);
  return { rec, subnets };
}

describe.each(STACKS)("Cluster of stack %s", (stack) => {
  const spec = stackSpec(stack);

  test("control plane: count, type, spread, user data per role, registered in the API target group", async () => {
    const { rec, subnets } = await recordCluster(spec);
    const cp = ofType(rec, "aws:ec2/instance:Instance").filter((r) => r.name.startsWith(`${spec.name}-cp-`));
    expect(cp).toHaveLength(spec.controlPlane.count);
    cp.forEach((r, i) => {
      expect(inputs(r).instanceType).toBe(spec.controlPlane.instanceType);
      expect(inputs(r).subnetId).toBe(subnets[i % subnets.length]);
      expect(inputs(r).userData).toBe(`#cloud-config\n# control-plane-${i} ${i === 0 ? "init" : "join"}\n`);
      expect(inputs(r).ami).toBe(spec.images.nodeAmi ?? amiFor(spec, "node"));
    });
    expect(ofType(rec, "aws:lb/targetGroupAttachment:TargetGroupAttachment")).toHaveLength(spec.controlPlane.count);
    // The control plane carries its group (and the etcd group when etcd is colocated).
    const sgs = ofType(rec, "aws:ec2/securityGroup:SecurityGroup");
    const idOf = (role: string) => sgs.find((g) => g.name === `${spec.name}-sg-${role}`)!.id;
    expect(inputs(cp[0]!).vpcSecurityGroupIds).toEqual(
      spec.etcd.topology === "colocated" ? [idOf("controlPlane"), idOf("etcd")] : [idOf("controlPlane")],
    );
  });

  test("node pools: one group per pool, worker stub per pool, GPU image for gpu pools, outputs", async () => {
    const { rec } = await recordCluster(spec);
    const groups = ofType(rec, "aws:autoscaling/group:Group");
    expect(groups.map((g) => g.name).sort()).toEqual(spec.nodePools.map((p) => `${spec.name}-${p.name}-asg`).sort());
    for (const pool of spec.nodePools) {
      const lt = inputs(named(rec, "aws:ec2/launchTemplate:LaunchTemplate", `${spec.name}-${pool.name}-lt`));
      expect(decodeBase64(lt.userData)).toBe(`#cloud-config\n# worker-${pool.name}\n`);
      expect(lt.iamInstanceProfile).toEqual({ name: `p-worker-${pool.name}` });
      expect(lt.imageId).toBe(amiFor(spec, pool.preset === "gpu" ? "gpu" : "node"));
    }
    const out = rec.outputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.apiName).toBe(`api.${spec.name}.${spec.api.domain}`);
    expect(out.adminKubeconfig).toBe("[secret]");
    expect(Object.keys(out.nodePoolGroupNames).sort()).toEqual(spec.nodePools.map((p) => p.name).sort());
    expect(out.nodePoolGroupNames[spec.nodePools[0]!.name]).toBe(`${spec.name}-${spec.nodePools[0]!.name}`);
    expect(out.bastionAccess).toBe("ssh -J ubuntu@198.51.100.1");
  });
});

describe("Cluster wiring choices", () => {
  test("node IAM comes only from the bootstrap: the Cluster and its ControlPlane create none", async () => {
    const spec = stackSpec("staging");
    const { rec } = await recordCluster(spec);
    expect(ofType(rec, "aws:iam/role:Role")).toEqual([]);
    expect(ofType(rec, "aws:iam/rolePolicy:RolePolicy")).toEqual([]);
    expect(ofType(rec, "aws:ec2/instance:Instance").map((i) => inputs(i).iamInstanceProfile)).toEqual([
      "p-control-plane-0",
      "p-control-plane-1",
      "p-control-plane-2",
    ]);
  });

  test("a bootstrap passed in goes through the same user-data size check", async () => {
    const spec = stackSpec("dev");
    const big: ClusterBootstrap = {
      ...fakeBootstrap(),
      worker: (pool) => ({ userData: `#cloud-config\n#${"x".repeat(17000)}\n`, instanceProfileName: `p-${pool.name}` }),
    };
    const rec = await recordProgram(() => {
      new Cluster(spec.name, {
        spec,
        environment: { vpcId: "vpc-1", privateSubnetIds: ["subnet-priv-0"], publicSubnetIds: ["subnet-pub-0"] },
        apiEndpoint: {
          apiName: apiName(spec.name, spec.api.domain),
          targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1",
        },
        bootstrap: big,
      });
    });
    expect(rec.errors.join()).toMatch(new RegExp(`user data of worker-${spec.nodePools[0]!.name} is 170\\d\\d bytes; EC2 allows 16384`));
  });

  test("backup bucket: the environment's shared one, else a protected one of its own", async () => {
    const spec = stackSpec("prod");
    const shared = await recordCluster(spec, { sharedBucket: true });
    expect((shared.rec.outputs as Record<string, unknown>).backupBucket).toBe("shared-backups");
    expect(ofType(shared.rec, "aws:s3/bucket:Bucket")).toEqual([]);
    const own = await recordCluster(spec);
    const buckets = ofType(own.rec, "aws:s3/bucket:Bucket");
    expect(buckets).toHaveLength(1);
    expect(buckets[0]!.protect).toBe(true);
    expect(buckets[0]!.retainOnDelete).toBe(true);
  });

  test("pinned AMI ids skip the lookup", async () => {
    const spec = { ...stackSpec("dev"), images: { nodeAmi: "ami-0pinned0000000000" } };
    const { rec } = await recordCluster(spec);
    expect(ofType(rec, "aws:ec2/instance:Instance").map((i) => inputs(i).ami)).toEqual(["ami-0pinned0000000000"]);
    expect(inputs(ofType(rec, "aws:ec2/launchTemplate:LaunchTemplate")[0]!).imageId).toBe("ami-0pinned0000000000");
  });
});

describe.each(STACKS)("Cluster of stack %s with the default kubeadm bootstrap", (stack) => {
  const spec = stackSpec(stack);
  test("user data comes from the bootstrap renderers; roles hold CCM + own secret only", async () => {
    const rec = await recordProgram(
      () => {
        new Cluster(spec.name, {
          spec,
          environment: testEnvironment(spec),
        });
      },
      { region: spec.region, availabilityZones: spec.availabilityZones },
    );
    expect(rec.errors).toEqual([]);
    const cloudInit = (role: string) => rec.artifacts.get(role)!.find((f) => f.path === "cloud-init.yaml")!.content;

    // Control plane: node i boots the stub rendered for control-plane-i (the init marker decides who inits; node i waits i × 30 s).
    const cp = ofType(rec, "aws:ec2/instance:Instance").filter((r) => /-cp-\d$/.test(r.name));
    expect(cp).toHaveLength(spec.controlPlane.count);
    cp.forEach((r, i) => {
      expect(inputs(r).userData).toBe(cloudInit(`control-plane-${i}`));
      expect(inputs(r).userData).toContain(`KUBEADM_AWS_JOIN_DELAY=${i * 30}\n`);
      expect(inputs(r).userData).not.toMatch(/PRIVATE KEY|[a-z0-9]{6}\.[a-z0-9]{16}/);
    });
    // Pools: the template's user data is the worker stub of the pool's role.
    for (const pool of spec.nodePools) {
      const lt = inputs(named(rec, "aws:ec2/launchTemplate:LaunchTemplate", `${spec.name}-${pool.name}-lt`));
      expect(decodeBase64(lt.userData)).toBe(cloudInit(`worker-${pool.name}`));
    }
    // The control-plane roles (made by the bootstrap) carry the CCM policy, no managed policy.
    const cpRoles = ofType(rec, "aws:iam/role:Role").filter((r) => /-boot-cp-\d-iam-role$/.test(r.name));
    expect(cpRoles).toHaveLength(spec.controlPlane.count);
    const ccm = ofType(rec, "aws:iam/rolePolicy:RolePolicy").filter((p) => inputs(p).name === "cloud-controller-manager");
    expect(ccm.map((p) => inputs(p).role).sort()).toEqual(cpRoles.map((r) => inputs(r).name).sort());
    const attachments = ofType(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => /-boot-cp-/.test(a.name));
    expect(attachments).toEqual([]);
    // Dedicated etcd: node 0 comes (and is replaced) after every member.
    const members = ofType(rec, "aws:ec2/instance:Instance").filter((r) => /-etcd-etcd-\d$/.test(r.name));
    expect(members).toHaveLength(spec.etcd.topology === "dedicated" ? spec.etcd.members : 0);
    for (const m of members) expect(cp[0]!.dependencies).toContain(m.urn);
  });
});
