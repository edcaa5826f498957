/**
 * etcd inside the Cluster, through the offline plan of real stack files:
 * - colocated + on-host with 1, 3 and 5 control-plane nodes (temp stack files): fixed addresses,
 *   reservations, member certificates, the external block, files through each node's bundle,
 *   user data checked by `cloud-init schema`, scripts by `shellcheck`;
 * - backups on every stack (stacked etcd included), and the control plane's upload-only S3 grant;
 * - one IAM role per dedicated member (its RoleBootstrap's), evaluated; one API-server etcd client certificate.
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { contains, parseCidr } from "../../components/core/cidr";
import { planMembers, reservedBlockCidr, type EtcdMember } from "../../components/etcd";
import { iamAllows, type PolicyDocument } from "../../components/iam";
import { parseEnvFile } from "../../components/bootstrap/env-file";
import { fakePem } from "../../tools/plan/mocks";
import type { PlanResult } from "../../tools/plan/run";
import { runTool, writeTree, YAMLLINT_CONFIG } from "../bootstrap/tools";
import { inputs, named, ofType, runPlan } from "../helpers/record";

const SUBNET = "aws:ec2/subnet:Subnet";
const INSTANCE = "aws:ec2/instance:Instance";
const CSR = "tls:index/certRequest:CertRequest";
const BUNDLE = "aws:secretsmanager/secretVersion:SecretVersion";

function stackFile(name: string, cluster: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "etcd-stack-"));
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  writeFileSync(file, `config:\n  aws:region: eu-west-1\n  pulumi-kubeadm-aws:cluster: ${JSON.stringify(cluster)}\n`);
  return file;
}

const artifact = (r: PlanResult, role: string, p: string) => {
  const f = r.artifacts.get(role)?.find((x) => x.path === p);
  if (!f) throw new Error(`no artifact ${role}/${p}`);
  return f.content;
};
const bundleFiles = (r: PlanResult, cluster: string, i: number) =>
  (
    JSON.parse(named(r, BUNDLE, `${cluster}-boot-cp-${i}-bundle`).rawInputs.secretString as string) as {
      files: { path: string; permissions: string; content: string }[];
    }
  ).files;
const policiesOf = (r: PlanResult, role: string): PolicyDocument[] =>
  ofType(r, "aws:iam/rolePolicy:RolePolicy")
    .filter((p) => inputs(p).role === role)
    .map((p) => JSON.parse(inputs(p).policy as string) as PolicyDocument);

function shellcheck(files: { path: string; content: string }[]): void {
  const scripts = files.filter((f) => f.content.startsWith("#!/bin/bash"));
  expect(scripts.length).toBeGreaterThan(0);
  const dir = writeTree(
    scripts.map((f) => ({ path: f.path.replace(/\//g, "_"), content: f.content })),
    "etcd-sh-",
  );
  const r = runTool("shellcheck", ["-S", "warning", "-s", "bash", ...scripts.map((f) => path.join(dir, f.path.replace(/\//g, "_")))]);
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}

const ON_HOST = [
  [
    1,
    {
      tier: "dev",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      controlPlane: { count: 1 },
      etcd: { topology: "colocated", runtime: "on-host", members: 1 },
    },
  ],
  [
    3,
    {
      tier: "standard",
      availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      etcd: { topology: "colocated", runtime: "on-host" },
    },
  ],
  [
    5,
    {
      tier: "standard",
      availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      controlPlane: { count: 5 },
      etcd: { topology: "colocated", runtime: "on-host", members: 5 },
    },
  ],
] as const;

describe.each(ON_HOST)("colocated on-host etcd, %i control-plane node(s), planned from a stack file", (count, overrides) => {
  const cluster = `onhost${count}`;
  let r: PlanResult;
  let members: EtcdMember[];
  let subnets: { id: string; cidr: string }[];
  beforeAll(async () => {
    r = await runPlan({
      configFile: stackFile(cluster, { name: cluster, region: "eu-west-1", api: { allowedCidrs: ["203.0.113.0/24"] }, ...overrides }),
    });
    subnets = overrides.availabilityZones.map((_, k) => {
      const s = named(r, SUBNET, `${cluster}-network-private-${k}`);
      return { id: s.id!, cidr: inputs(s).cidrBlock as string };
    });
    members = planMembers({
      cluster,
      domain: r.spec!.api.domain,
      members: count,
      subnetCidrs: subnets.map((s) => s.cidr),
      blockFromEnd: 3,
      namePrefix: "control-plane",
    });
  }, 240_000);

  test("plans without errors", () => {
    expect(r.issues).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test("nodes on fixed, reserved addresses; node 0 after the reservations", () => {
    const cps = Array.from({ length: count }, (_, i) => named(r, INSTANCE, `${cluster}-cp-${i}`));
    expect(cps.map((c) => [inputs(c).privateIp, inputs(c).subnetId])).toEqual(members.map((m) => [m.ip, subnets[m.azIndex]!.id]));
    const reservations = ofType(r, "aws:ec2/subnetCidrReservation:SubnetCidrReservation").filter((x) =>
      x.name.startsWith(`${cluster}-etcd-reserved-`),
    );
    const used = [...new Set(members.map((m) => m.azIndex))];
    expect(reservations.map((x) => [inputs(x).subnetId, inputs(x).cidrBlock, inputs(x).reservationType])).toEqual(
      used.map((k) => [subnets[k]!.id, reservedBlockCidr(subnets[k]!.cidr, 3), "explicit"]),
    );
    // Every node's address lies in its AZ's reserved block, and no two nodes share one.
    for (const m of members)
      expect(contains(parseCidr(reservedBlockCidr(subnets[m.azIndex]!.cidr, 3))!, parseCidr(`${m.ip}/32`)!)).toBe(true);
    expect(new Set(members.map((m) => m.ip)).size).toBe(count);
    for (const x of reservations) expect(cps[0]!.dependencies).toContain(x.urn);
    // No dedicated members, no dedicated reservations.
    expect(ofType(r, INSTANCE).filter((i) => /-etcd-etcd-\d$/.test(i.name))).toEqual([]);
  });

  test("member certificates: CN and SANs per node; one API-server client certificate (ClusterPki)", () => {
    for (const m of members) {
      for (const kind of ["server", "peer"]) {
        const csr = inputs(named(r, CSR, `${cluster}-etcd-${m.name}-${kind}-csr`));
        expect([csr.subject.commonName, csr.dnsNames, csr.ipAddresses]).toEqual([
          m.name,
          [`${m.name}.${cluster}.${r.spec!.api.domain}`, m.name, "localhost"],
          [m.ip, "127.0.0.1"],
        ]);
      }
    }
    expect(
      ofType(r, CSR)
        .filter((c) => inputs(c).subject.commonName === "kube-apiserver-etcd-client")
        .map((c) => c.name),
    ).toEqual([`${cluster}-pki-apiserver-etcd-client-csr`]);
  });

  test("kubeadm's ClusterConfiguration points etcd.external at every member", () => {
    const docs = parseAllDocuments(artifact(r, "control-plane-0", "etc/kubernetes/kubeadm/init.yaml")).map(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (d) => d.toJS() as Record<string, any>,
    );
    const cc = docs.find((d) => d.kind === "ClusterConfiguration")!;
    expect(cc.etcd).toEqual({
      external: {
        endpoints: members.map((m) => `https://${m.ip}:2379`),
        caFile: "/etc/kubernetes/pki/etcd/ca.crt",
        certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
        keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
      },
    });
  });

  test("each node's bundle carries its own member's files and keys; the user data carries none and starts etcd before kubeadm", () => {
    for (let i = 0; i < count; i++) {
      const m = members[i]!;
      const files = bundleFiles(r, cluster, i);
      const at = (p: string) => files.find((f) => f.path === p);
      expect(at("/etc/etcd/etcd.conf.yml")!.content).toContain(`name: ${m.name}\n`);
      expect(at("/etc/etcd/etcd.conf.yml")!.content).toContain(`listen-client-urls: https://${m.ip}:2379\n`);
      expect(at("/etc/etcd/pki/server.key")!.content).toMatch(/BEGIN PRIVATE KEY/);
      expect(at("/etc/etcd/pki/server.key")!.permissions).toBe("0600");
      expect(at("/etc/kubernetes/pki/etcd/ca.key")).toBeUndefined(); // external etcd: no etcd CA key on the control plane
      expect(at("/usr/local/sbin/etcd-node-start")!.permissions).toBe("0755");
      const userData = inputs(named(r, INSTANCE, `${cluster}-cp-${i}`)).userData as string;
      expect(userData).toBe(artifact(r, `control-plane-${i}`, "cloud-init.yaml"));
      expect(userData).not.toMatch(/etcd\.conf\.yml|PRIVATE KEY/);
      const bootEnv = parseEnvFile(artifact(r, `control-plane-${i}`, "etc/kubeadm-aws/bootstrap.env"));
      expect(bootEnv.KUBEADM_AWS_BEFORE_KUBEADM).toBe("/usr/local/sbin/etcd-node-start");
      expect(bootEnv.KUBEADM_AWS_ENABLE_UNITS!.split(",")).toContain("etcd-backup.timer");
      // The member env file: this node's member, started by etcd-node-start.
      expect(parseEnvFile(at("/etc/etcd/member.env")!.content)).toMatchObject({
        KUBEADM_AWS_ETCD_MEMBER: m.name,
        KUBEADM_AWS_ETCD_UNIT: "etcd.service",
      });
      expect(artifact(r, `control-plane-${i}`, "etc/etcd/pki/server.key")).toBe("<secret:file:/etc/etcd/pki/server.key>");
    }
  });

  test("control-plane user data passes cloud-init schema; the node's scripts pass shellcheck", () => {
    for (let i = 0; i < count; i++) {
      const dir = writeTree([{ path: "ud.yaml", content: artifact(r, `control-plane-${i}`, "cloud-init.yaml") }], "etcd-ud-");
      const out = runTool("cloud-init", ["schema", "-c", path.join(dir, "ud.yaml")]);
      expect(`${out.stdout}${out.stderr}`).toContain("Valid cloud-config");
      expect(out.status).toBe(0);
    }
    shellcheck(r.artifacts.get(`control-plane-${count - 1}`)!);
  });

  test("the etcd config passes yamllint --strict; the etcd units pass systemd-analyze verify", () => {
    const role = `control-plane-${count - 1}`;
    const files = r.artifacts.get(role)!.filter((f) => /^(etc\/etcd\/etcd\.conf\.yml|etc\/systemd\/system\/etcd[^/]*)$/.test(f.path));
    expect(files.map((f) => f.path).sort()).toEqual([
      "etc/etcd/etcd.conf.yml",
      "etc/systemd/system/etcd-backup.service",
      "etc/systemd/system/etcd-backup.timer",
      "etc/systemd/system/etcd.service",
    ]);
    const dir = writeTree(files, "etcd-units-");
    const lint = runTool("yamllint", ["--strict", "-f", "parsable", "-c", YAMLLINT_CONFIG, path.join(dir, "etc/etcd/etcd.conf.yml")]);
    expect(lint.stdout + lint.stderr).toBe("");
    expect(lint.status).toBe(0);
    const units = files.filter((f) => f.path.startsWith("etc/systemd/")).map((f) => path.join(dir, f.path));
    const v = runTool("systemd-analyze", ["verify", "--man=no", ...units]);
    // Allowed: the binaries are not installed here, and systemd's own targets are missing in a container.
    const problems = v.stderr
      .split("\n")
      .filter(
        (l) =>
          l.trim() !== "" &&
          !/is not executable: No such file or directory|Unit (sysinit|basic|shutdown|network-online|local-fs)\.target not found|Failed to create .*: Unit .*\.target not found/.test(
            l,
          ),
      );
    expect(problems).toEqual([]);
  });
});

describe.each([
  ["dev", 360],
  ["staging", 60],
  ["prod", 15],
] as const)("etcd backups of the %s stack", (stack, interval) => {
  let r: PlanResult;
  beforeAll(async () => {
    r = await runPlan({ stack });
  }, 240_000);

  test("whoever runs an etcd member has the backup script and the timer at the tier's interval", () => {
    expect(r.errors).toEqual([]);
    const spec = r.spec!;
    const dedicated = spec.etcd.topology === "dedicated";
    const holders = dedicated
      ? Array.from({ length: spec.etcd.members }, (_, n) => `etcd-${n}`)
      : Array.from({ length: spec.controlPlane.count }, (_, i) => `control-plane-${i}`);
    for (const role of holders) {
      expect(artifact(r, role, "etc/systemd/system/etcd-backup.timer")).toContain(`OnUnitActiveSec=${interval}min\n`);
      expect(artifact(r, role, "etc/systemd/system/etcd-backup.service")).toContain(
        "Environment=KUBEADM_AWS_ETCD_ENV=/etc/etcd/member.env\n",
      );
      const env = parseEnvFile(artifact(r, role, "etc/etcd/member.env"));
      expect(env).toMatchObject({
        KUBEADM_AWS_ETCD_BUCKET: (r.outputs as Record<string, string>).backupBucket,
        KUBEADM_AWS_ETCD_CLUSTER: spec.name,
        KUBEADM_AWS_ETCD_MEMBER: role,
      });
      expect(artifact(r, role, "etc/kubeadm-aws/bootstrap.env")).toMatch(/^KUBEADM_AWS_ENABLE_UNITS=(.*,)?etcd-backup\.timer\n/m);
    }
    if (!dedicated) {
      expect(parseEnvFile(artifact(r, "control-plane-0", "etc/etcd/member.env")).KUBEADM_AWS_ETCD_CERT).toBe(
        "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
      );
    } else {
      expect(r.artifacts.get("control-plane-0")!.some((f) => f.path.includes("etcd-backup"))).toBe(false);
    }
    shellcheck([{ path: "etcd-backup", content: artifact(r, holders[holders.length - 1]!, "usr/local/sbin/etcd-backup") }]);
  });

  test("control-plane roles may put snapshots under this cluster's prefixes only (stacked etcd); nothing with dedicated members", () => {
    const spec = r.spec!;
    const arn = `arn:aws:s3:::${(r.outputs as Record<string, string>).backupBucket}`;
    for (let i = 0; i < spec.controlPlane.count; i++) {
      const role = `${spec.name}-control-plane-${i}`;
      const backup = ofType(r, "aws:iam/rolePolicy:RolePolicy").filter((p) => inputs(p).role === role && inputs(p).name === "etcd-backup");
      const policies = policiesOf(r, role);
      if (spec.etcd.topology === "dedicated") {
        expect(backup).toEqual([]);
        expect(iamAllows(policies, "s3:PutObject", `${arn}/frequent/${spec.name}/x.db`)).toBe(false);
        continue;
      }
      expect(JSON.parse(inputs(backup[0]!).policy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EtcdSnapshotUpload",
            Effect: "Allow",
            Action: ["s3:PutObject"],
            Resource: [`${arn}/frequent/${spec.name}/*`, `${arn}/daily/${spec.name}/*`],
          },
        ],
      });
      expect(iamAllows(policies, "s3:PutObject", `${arn}/frequent/${spec.name}/20260101T000000Z-control-plane-0.db`)).toBe(true);
      expect(iamAllows(policies, "s3:PutObject", `${arn}/daily/${spec.name}/2026-01-01/x.db`)).toBe(true);
      expect(iamAllows(policies, "s3:PutObject", `${arn}/frequent/other/x.db`)).toBe(false);
      expect(iamAllows(policies, "s3:PutObject", `${arn}/x.db`)).toBe(false);
      for (const action of ["s3:GetObject", "s3:DeleteObject", "s3:ListBucket"])
        expect(iamAllows(policies, action, `${arn}/frequent/${spec.name}/x.db`)).toBe(false);
    }
  });
});

describe("dedicated etcd of the prod stack", () => {
  let r: PlanResult;
  beforeAll(async () => {
    r = await runPlan({ stack: "prod" });
  }, 240_000);

  test("one IAM role per member: member i reads bundle i and no other; control plane and workers read none", () => {
    expect(r.errors).toEqual([]);
    const spec = r.spec!;
    const bundles = Array.from({ length: spec.etcd.members }, (_, n) =>
      named(r, "aws:secretsmanager/secret:Secret", `prod-etcd-etcd-${n}-secret`),
    );
    expect(bundles.map((b) => inputs(b).name)).toEqual(Array.from({ length: spec.etcd.members }, (_, n) => `prod/bootstrap/etcd-${n}`));
    const secrets = bundles.map((b) => b.id!);
    expect(new Set(secrets).size).toBe(spec.etcd.members);
    for (let n = 0; n < spec.etcd.members; n++) {
      const policies = policiesOf(r, `prod-etcd-${n}`);
      expect(
        ofType(r, "aws:iam/rolePolicy:RolePolicy")
          .filter((p) => inputs(p).role === `prod-etcd-${n}`)
          .map((p) => inputs(p).name)
          .sort(),
      ).toEqual(["bootstrap-read", "etcd-backup"]);
      expect(secrets.map((s) => iamAllows(policies, "secretsmanager:GetSecretValue", s))).toEqual(secrets.map((_, k) => k === n));
      expect(inputs(named(r, INSTANCE, `prod-etcd-etcd-${n}`)).iamInstanceProfile).toBe(`prod-etcd-${n}`);
    }
    const others = [
      ...Array.from({ length: spec.controlPlane.count }, (_, i) => `prod-control-plane-${i}`),
      ...spec.nodePools.map((p) => `prod-worker-${p.name}`),
    ];
    for (const role of others) {
      const policies = policiesOf(r, role);
      expect(policies.length).toBeGreaterThan(0);
      expect(secrets.filter((s) => iamAllows(policies, "secretsmanager:GetSecretValue", s))).toEqual([]);
    }
  });

  test("the API server's etcd client certificate is minted once (ClusterPki) and every control-plane bundle carries exactly it", () => {
    const spec = r.spec!;
    const clients = ofType(r, CSR).filter((c) => inputs(c).subject.commonName === "kube-apiserver-etcd-client");
    expect(clients.map((c) => c.name)).toEqual(["prod-pki-apiserver-etcd-client-csr"]);
    const cert = fakePem("CERTIFICATE", "tls:index/locallySignedCert:LocallySignedCert::prod-pki-apiserver-etcd-client-cert");
    const keys = new Set<string>();
    for (let i = 0; i < spec.controlPlane.count; i++) {
      const files = bundleFiles(r, "prod", i);
      expect(files.filter((f) => f.path.includes("etcd-client")).map((f) => f.path)).toEqual([
        "/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "/etc/kubernetes/pki/apiserver-etcd-client.key",
      ]);
      expect(files.find((f) => f.path === "/etc/kubernetes/pki/apiserver-etcd-client.crt")!.content).toBe(cert);
      keys.add(files.find((f) => f.path === "/etc/kubernetes/pki/apiserver-etcd-client.key")!.content);
    }
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/BEGIN PRIVATE KEY/);
  });
});
