/**
 * The init marker and the failed-worker path as the Cluster composes them, under the recording
 * mocks of the offline plan: the table, who may touch it (IAM evaluated), what every control-plane
 * bundle carries, and what the control plane waits for.
 */
import { parseAllDocuments } from "yaml";
import { INIT_LOCK_FILES, initLockScript, initLockTableName } from "../../components/bootstrap";
import { iamAllows, type PolicyDocument } from "../../components/iam";
import { poolGroupName } from "../../components/node-pools";
import type { PlanResult } from "../../tools/plan/run";
import { inputs, named, ofType, runPlan } from "../helpers/record";

const TABLE = "aws:dynamodb/table:Table";
const BUNDLE = "aws:secretsmanager/secretVersion:SecretVersion";
const INSTANCE = "aws:ec2/instance:Instance";

const plans = new Map<string, PlanResult>();
beforeAll(async () => {
  for (const stack of ["dev", "prod"]) plans.set(stack, await runPlan({ stack }));
}, 300_000);

const bundleFiles = (r: PlanResult, cluster: string, i: number) =>
  (
    JSON.parse(named(r, BUNDLE, `${cluster}-boot-cp-${i}-bundle`).rawInputs.secretString as string) as {
      files: { path: string; content: string; permissions: string }[];
    }
  ).files;
/** Every inline policy of every IAM role, by role name. */
function policiesByRole(r: PlanResult): Map<string, PolicyDocument[]> {
  const out = new Map<string, PolicyDocument[]>();
  for (const p of ofType(r, "aws:iam/rolePolicy:RolePolicy")) {
    const role = String(inputs(p).role);
    out.set(role, [...(out.get(role) ?? []), JSON.parse(inputs(p).policy as string) as PolicyDocument]);
  }
  return out;
}

describe.each(["dev", "prod"])("stack %s", (stack) => {
  const r = () => plans.get(stack)!;

  test("one on-demand table per cluster; deletion protection and Pulumi protect follow the spec", () => {
    expect(r().errors).toEqual([]);
    const spec = r().spec!;
    const tables = ofType(r(), TABLE);
    expect(tables).toHaveLength(1);
    const t = tables[0]!;
    expect(inputs(t)).toMatchObject({
      name: initLockTableName(spec.name),
      billingMode: "PAY_PER_REQUEST",
      hashKey: "id",
      attributes: [{ name: "id", type: "S" }],
      deletionProtectionEnabled: spec.deletionProtection,
    });
    expect(t.protect).toBe(spec.deletionProtection);
  });

  test("only control-plane roles may get, put and update the init item; etcd members and workers may not", () => {
    const spec = r().spec!;
    const roles = policiesByRole(r());
    const cp = Array.from({ length: spec.controlPlane.count }, (_, i) => `${spec.name}-control-plane-${i}`);
    const actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];
    // The table's ARN as the mocks gave it, read from node 0's policy; every control-plane policy names that one only.
    const statements = (role: string) =>
      roles
        .get(role)!
        .flatMap((p) => p.Statement)
        .filter((x) => x.Sid === "InitMarker");
    const target = (statements(cp[0]!)[0]!.Resource as string[])[0]!;
    // The table's ARN in AWS's form (the mocks return it as DynamoDB does).
    expect(target).toBe(`arn:aws:dynamodb:${spec.region}:123456789012:table/${initLockTableName(spec.name)}`);
    for (const c of cp) expect(statements(c).map((x) => x.Resource)).toEqual([[target]]);
    const item = { "dynamodb:LeadingKeys": ["init"] };
    for (const [role, docs] of roles) {
      const isCp = cp.includes(role);
      for (const a of actions) expect([role, a, iamAllows(docs, a, target, item)]).toEqual([role, a, isCp]);
      // Nobody deletes, scans or writes another item.
      expect(iamAllows(docs, "dynamodb:DeleteItem", target, item)).toBe(false);
      expect(iamAllows(docs, "dynamodb:Scan", target, item)).toBe(false);
      expect(iamAllows(docs, "dynamodb:PutItem", target, { "dynamodb:LeadingKeys": ["other"] })).toBe(false);
      if (isCp) expect(iamAllows(docs, "ec2:DescribeInstances", "*")).toBe(true);
    }
    expect(cp.every((c) => roles.has(c))).toBe(true);
  });

  test("workers may mark instances of their own pool's group Unhealthy, nothing else of Auto Scaling", () => {
    const spec = r().spec!;
    const roles = policiesByRole(r());
    const groupArn = (pool: string) =>
      `arn:aws:autoscaling:${spec.region}:123456789012:autoScalingGroup:uuid:autoScalingGroupName/${poolGroupName(spec.name, pool)}`;
    const tags = (pool: string) => ({
      [`autoscaling:ResourceTag/kubernetes.io/cluster/${spec.name}`]: "owned",
      "autoscaling:ResourceTag/pulumi-kubeadm-aws:node-pool": pool,
    });
    for (const pool of spec.nodePools) {
      const docs = roles.get(`${spec.name}-worker-${pool.name}`)!;
      expect(iamAllows(docs, "autoscaling:SetInstanceHealth", groupArn(pool.name), tags(pool.name))).toBe(true);
      // Not another cluster's group of the same name, not without the tags, not other actions.
      expect(
        iamAllows(docs, "autoscaling:SetInstanceHealth", groupArn(pool.name), {
          ...tags(pool.name),
          [`autoscaling:ResourceTag/kubernetes.io/cluster/${spec.name}`]: "shared",
        }),
      ).toBe(false);
      expect(iamAllows(docs, "autoscaling:SetInstanceHealth", groupArn(pool.name), {})).toBe(false);
      expect(iamAllows(docs, "autoscaling:TerminateInstanceInAutoScalingGroup", groupArn(pool.name), tags(pool.name))).toBe(false);
      for (const other of spec.nodePools.filter((p) => p.name !== pool.name)) {
        expect(iamAllows(docs, "autoscaling:SetInstanceHealth", groupArn(other.name), tags(other.name))).toBe(false);
      }
      const group = named(r(), "aws:autoscaling/group:Group", `${spec.name}-${pool.name}-asg`);
      expect(inputs(group).name).toBe(poolGroupName(spec.name, pool.name));
    }
  });

  test("every control-plane bundle has the marker's script and settings and the same init.yaml as node 0", () => {
    const spec = r().spec!;
    const init0 = bundleFiles(r(), spec.name, 0).find((f) => f.path === "/etc/kubernetes/kubeadm/init.yaml")!;
    const kinds = parseAllDocuments(init0.content, { version: "1.1" }).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration", "KubeProxyConfiguration"]);
    for (let i = 0; i < spec.controlPlane.count; i++) {
      const files = bundleFiles(r(), spec.name, i);
      const init = files.filter((f) => f.path === "/etc/kubernetes/kubeadm/init.yaml");
      expect(init).toEqual([{ ...init0 }]);
      expect(files.find((f) => f.path === INIT_LOCK_FILES.script)).toEqual({
        path: INIT_LOCK_FILES.script,
        permissions: "0755",
        content: initLockScript(),
      });
      expect(files.find((f) => f.path === INIT_LOCK_FILES.env)!.content).toBe(
        `KUBEADM_AWS_INIT_LOCK_TABLE=${initLockTableName(spec.name)}\nKUBEADM_AWS_CONTROL_PLANE_COUNT=${spec.controlPlane.count}\n`,
      );
      // The join configuration is untouched: a node that loses the claim joins as before.
      expect(files.filter((f) => f.path === "/etc/kubernetes/kubeadm/join.yaml")).toHaveLength(1);
    }
    // Artifacts keep the token out: every node's init.yaml shows the token's placeholder, never its value.
    for (let i = 0; i < spec.controlPlane.count; i++) {
      const a = r()
        .artifacts.get(`control-plane-${i}`)!
        .find((f) => f.path === "etc/kubernetes/kubeadm/init.yaml")!;
      expect(a.content).toContain("token: <secret:bootstrapToken>");
      expect(a.content).not.toContain(init0.content.match(/token: (\S+)/)![1]!);
    }
  });

  test("node 0 (and so every node after it) is created after the table, its bundles and its marker policies", () => {
    const spec = r().spec!;
    const cp0 = named(r(), INSTANCE, `${spec.name}-cp-0`);
    const must = [
      ofType(r(), TABLE)[0]!.urn,
      ...Array.from({ length: spec.controlPlane.count }, (_, i) => named(r(), BUNDLE, `${spec.name}-boot-cp-${i}-bundle`).urn),
      ...Array.from(
        { length: spec.controlPlane.count },
        (_, i) => named(r(), "aws:iam/rolePolicy:RolePolicy", `${spec.name}-boot-cp-${i}-iam-init-lock`).urn,
      ),
    ];
    for (const u of must) expect(cp0.dependencies).toContain(u);
  });
});
