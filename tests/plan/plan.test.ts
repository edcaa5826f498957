import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { writeOut } from "../../tools/plan/format";
import { readStackConfig, REPO_ROOT, runPlan } from "../../tools/plan/run";

const stacks = readdirSync(path.join(REPO_ROOT, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined);
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const CLI = path.join(REPO_ROOT, "tools", "plan", "cli.ts");

const BAD = `config:
  aws:region: eu-west-1
  pulumi-kubeadm-aws:cluster:
    name: Bad_Name
    tier: standard
    region: eu-west-1
    availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
    api:
      allowedCidrs: [203.0.113.0/24]
    etcd:
      member: 3
    nodePools:
      - name: general
        preset: general
        minSize: 4
        maxSize: 2
`;
const BAD_ISSUES = [
  { path: "cluster.etcd.member", message: "unknown key (check its spelling; see README, Configuration reference)" },
  { path: "cluster.name", message: `"Bad_Name" must be a DNS label: lowercase letters, digits and '-', starting with a letter` },
  { path: "cluster.nodePools[0].maxSize", message: "must be >= minSize (4)" },
];

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-"));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("the offline plan", () => {
  test("there are dev, staging and prod stacks", () => {
    expect(stacks).toEqual(expect.arrayContaining(["dev", "staging", "prod"]));
  });

  test.each(stacks)("stack %s plans without errors", async (stack) => {
    const r = await runPlan({ stack });
    expect(r.issues).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.spec!.name).toBe(stack === "staging" ? "staging" : stack);
    expect(r.resources.find((x) => x.type === "pulumi:pulumi:Stack")?.name).toBe(`pulumi-kubeadm-aws-${stack}`);
    const urns = r.resources.map((x) => x.urn);
    expect(new Set(urns).size).toBe(urns.length);
    const components = r.resources.filter((x) => !x.custom).map((x) => x.type);
    expect(components).toEqual(
      expect.arrayContaining([
        "pulumi-kubeadm-aws:environment:Environment",
        "pulumi-kubeadm-aws:network:Vpc",
        "pulumi-kubeadm-aws:bastion:Bastion",
        "pulumi-kubeadm-aws:cluster:Cluster",
        "pulumi-kubeadm-aws:security:ClusterSecurityGroups",
        "pulumi-kubeadm-aws:api-endpoint:ApiEndpoint",
        "pulumi-kubeadm-aws:pki:ClusterPki",
        "pulumi-kubeadm-aws:control-plane:ControlPlane",
      ]),
    );
    expect(components.filter((t) => t === "pulumi-kubeadm-aws:node-pools:NodePool")).toHaveLength(r.spec!.nodePools.length);
    expect(components.includes("pulumi-kubeadm-aws:etcd:EtcdCluster")).toBe(r.spec!.etcd.topology === "dedicated");
    // Every pool's group has the sizes its spec says.
    for (const pool of r.spec!.nodePools) {
      const asg = r.resources.find((x) => x.type === "aws:autoscaling/group:Group" && x.parent?.endsWith(`::${stack}-${pool.name}`));
      expect(asg?.inputs).toMatchObject({ minSize: pool.minSize, maxSize: pool.maxSize, desiredCapacity: pool.desiredSize });
    }
  });

  test("a bad file fails with every message and creates nothing", async () => {
    const r = await runPlan({ configFile: tempFile("Pulumi.bad.yaml", BAD) });
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual(BAD_ISSUES);
    expect(r.resources).toEqual([]);
  });

  test("aws:region must agree with cluster.region", async () => {
    const text = readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8").replace(
      "aws:region: eu-west-1",
      "aws:region: us-east-1",
    );
    const r = await runPlan({ configFile: tempFile("Pulumi.region.yaml", text) });
    expect(r.issues).toEqual([{ path: "aws:region", message: "is us-east-1 but cluster.region is eu-west-1; they must be equal" }]);
  });

  test("encrypted values in a stack file are read as secrets, never as text", () => {
    const file = tempFile("Pulumi.s.yaml", "config:\n  pulumi-kubeadm-aws:token:\n    secure: v1:abcdef\n  plain: 3\n");
    const { config, secretKeys } = readStackConfig(file);
    expect(config).toEqual({ "pulumi-kubeadm-aws:token": "[secret]", "pulumi-kubeadm-aws:plain": "3" });
    expect(secretKeys).toEqual(["pulumi-kubeadm-aws:token"]);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe("plan --out", () => {
  test.each(stacks)(
    "stack %s: every machine role's boot files are written, and no secret value reaches plan.json or the artifacts",
    async (stack) => {
      const r = await runPlan({ stack });
      expect(r.ok).toBe(true);
      const out = mkdtempSync(path.join(tmpdir(), `plan-out-${stack}-`));
      writeOut(r, out);

      // Roles: every control-plane node, every pool, every dedicated etcd member.
      const roles = readdirSync(path.join(out, "artifacts")).sort();
      const expected = [
        ...Array.from({ length: r.spec!.controlPlane.count }, (_, i) => `control-plane-${i}`),
        ...r.spec!.nodePools.map((p) => `worker-${p.name}`),
        ...(r.spec!.etcd.topology === "dedicated" ? Array.from({ length: r.spec!.etcd.members }, (_, i) => `etcd-${i}`) : []),
      ];
      expect(roles).toEqual(expect.arrayContaining(expected));
      for (const role of expected) expect(readdirSync(path.join(out, "artifacts", role))).toContain("cloud-init.yaml");

      // The secret values themselves, as the program handed them to the provider (bundles, keys, tokens).
      const bundles = r.resources.filter((x) => x.type === "aws:secretsmanager/secretVersion:SecretVersion");
      expect(bundles.length).toBeGreaterThanOrEqual(expected.length);
      const secrets = new Set<string>();
      for (const b of bundles) {
        expect(b.inputs.secretString).toBe("[secret]");
        const raw = String(b.rawInputs.secretString);
        for (const m of raw.matchAll(/[a-z0-9]{6}\.[a-z0-9]{16}/g)) secrets.add(m[0]);
        for (const m of raw.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+/g)) secrets.add(m[0].slice(0, 120));
      }
      expect([...secrets].some((x) => /^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(x))).toBe(true); // the bootstrap token is in a bundle
      expect([...secrets].some((x) => x.includes("PRIVATE KEY"))).toBe(true); // and so are private keys
      const written = [path.join(out, "plan.json"), ...filesUnder(path.join(out, "artifacts"))].map((f) => readFileSync(f, "utf8"));
      for (const text of written) {
        expect(text).not.toMatch(/PRIVATE KEY-----/);
        for (const s of secrets) expect(text.includes(s)).toBe(false);
      }
    },
  );
});

describe("the plan command", () => {
  test("exits 1 on bad config and lists every problem", () => {
    const res = spawnSync(TSX, [CLI, "--config", tempFile("Pulumi.bad.yaml", BAD)], { encoding: "utf8" });
    expect(res.status).toBe(1);
    for (const i of BAD_ISSUES) expect(res.stdout).toContain(`${i.path}: ${i.message}`);
  });

  test("--json prints the summary and counts; --out writes plan.json with secrets redacted", () => {
    const out = mkdtempSync(path.join(tmpdir(), "plan-out-"));
    const json = JSON.parse(execFileSync(TSX, [CLI, "--stack", "dev", "--json", "--out", out], { encoding: "utf8" }));
    expect(json.ok).toBe(true);
    expect(json.summary.cluster).toBe("dev");
    expect(json.summary.region).toBe("eu-west-1");
    const plan = JSON.parse(readFileSync(path.join(out, "plan.json"), "utf8"));
    expect(plan.resources.length).toBe(json.resourceCount + 1);
    for (const r of plan.resources) {
      expect(r.urn).toMatch(/^urn:pulumi:dev::pulumi-kubeadm-aws::/);
      expect(Array.isArray(r.dependencies)).toBe(true);
    }
    const text = readFileSync(path.join(out, "plan.json"), "utf8");
    expect(text).not.toMatch(/PRIVATE KEY/);
  });

  test("bad usage exits 2", () => {
    const res = spawnSync(TSX, [CLI, "--stak", "dev"], { encoding: "utf8" });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("unknown argument --stak");
  });
});
