/**
 * Environment under mocks: the shared etcd backup bucket lives here (lifecycle from the spec's
 * retention, protected and kept on destroy with deletionProtection), clusterEnvironment(env) hands
 * it to the Cluster, and a whole stack creates exactly one bucket, under the Environment.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../components/environment/environment";
import { clusterEnvironment } from "../../components/environment/cluster-environment";
import type { ClusterEnvironment } from "../../components/environment/seam";
import { inputs, named, ofType, recordProgram, runPlan } from "../helpers/record";
import { capture, specFor } from "../network/fixtures";

const BUCKET = "aws:s3/bucket:Bucket";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";
const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const COMPONENT = "pulumi-kubeadm-aws:backup:BackupBucket";

describe.each(["dev", "standard", "critical"] as const)("Environment, tier %s", (tier) => {
  const spec = specFor(tier);
  let rec: Awaited<ReturnType<typeof recordProgram>>;
  let seam: { value?: pulumi.Unwrap<Pick<ClusterEnvironment, "backupBucketName" | "backupBucketArn">> };
  beforeAll(async () => {
    rec = await recordProgram(() => {
      const env = new Environment("env", { spec, bastionImageId: "ami-0123456789abcdef0" });
      const e = clusterEnvironment(env);
      seam = capture({ backupBucketName: e.backupBucketName, backupBucketArn: e.backupBucketArn });
    });
  });

  test("records cleanly", () => expect(rec.errors).toEqual([]));

  test("the backup bucket is the Environment's child, protected and kept on destroy exactly when the tier asks", () => {
    // The tiers' reasoning: dev is disposable, standard and critical are not.
    expect(spec.deletionProtection).toBe(tier !== "dev");
    const env = named(rec, "pulumi-kubeadm-aws:environment:Environment", "env");
    const component = named(rec, COMPONENT, "env-backups");
    expect(component.parent).toBe(env.urn);
    const bucket = named(rec, BUCKET, "env-backups-bucket");
    expect(bucket.parent).toBe(component.urn);
    expect([bucket.protect, bucket.retainOnDelete]).toEqual([spec.deletionProtection, spec.deletionProtection]);
    const versioning = named(rec, VERSIONING, "env-backups-versioning");
    expect([versioning.protect, versioning.retainOnDelete]).toEqual([spec.deletionProtection, spec.deletionProtection]);
    expect(inputs(bucket)).toMatchObject({ bucketPrefix: `${spec.name}-etcd-backups-`, forceDestroy: false });
    expect(ofType(rec, BUCKET)).toHaveLength(1);
  });

  test("lifecycle from the spec's retention", () => {
    const rules = inputs(named(rec, LIFECYCLE, "env-backups-lifecycle")).rules as { id: string; expiration?: { days?: number } }[];
    expect(rules.filter((r) => r.expiration?.days !== undefined).map((r) => [r.id, r.expiration!.days])).toEqual([
      ["frequent-snapshots", spec.backup.frequentRetentionDays],
      ["daily-snapshots", spec.backup.dailyRetentionDays],
    ]);
  });

  test("clusterEnvironment(env) hands the shared bucket to the Cluster", () => {
    const bucket = named(rec, BUCKET, "env-backups-bucket");
    expect(seam.value).toEqual({ backupBucketName: bucket.id, backupBucketArn: `arn:aws:s3:::${bucket.id}` });
  });
});

test("the Environment's backup bucket can adopt an earlier bucket through aliases", async () => {
  const spec = specFor("critical");
  const oldParent = "urn:pulumi:test::pulumi-kubeadm-aws::pulumi-kubeadm-aws:cluster:Cluster::t-critical";
  const rec = await recordProgram(() => {
    new Environment("env", { spec, bastionImageId: "ami-0123456789abcdef0", backupBucketAliases: [{ parent: oldParent }] });
  });
  expect(rec.errors).toEqual([]);
  expect(named(rec, COMPONENT, "env-backups").aliases).toEqual([{ parentUrn: oldParent }]);
  expect(named(rec, "aws:ec2/vpc:Vpc", "env-network-vpc").aliases).toEqual([]);
});

describe("a whole stack: one shared bucket, under the Environment, and the Cluster uses it", () => {
  test.each(["dev", "prod"])("stack %s", async (stack) => {
    const r = await runPlan({ stack });
    expect(r.errors).toEqual([]);
    const buckets = ofType(r, BUCKET);
    expect(buckets).toHaveLength(1);
    const component = r.resources.find((x) => x.urn === buckets[0]!.parent)!;
    expect(component.type).toBe(COMPONENT);
    const env = r.resources.find((x) => x.urn === component.parent)!;
    expect([env.type, env.name]).toEqual(["pulumi-kubeadm-aws:environment:Environment", r.spec!.name]);
    expect([buckets[0]!.protect, buckets[0]!.retainOnDelete]).toEqual([r.spec!.deletionProtection, r.spec!.deletionProtection]);
    // Stacks that deployed the bucket under the Cluster (same names) keep it: the component is aliased to that parent.
    expect(component.aliases).toEqual([
      { parentUrn: `urn:pulumi:${stack}::pulumi-kubeadm-aws::pulumi-kubeadm-aws:cluster:Cluster::${r.spec!.name}` },
    ]);
    expect(component.name).toBe(`${r.spec!.name}-backups`);
    expect(r.outputs.backupBucket).toBe(buckets[0]!.id);
  });
});
