/**
 * A real control plane on external etcd: a dev cluster with a dedicated 3-member on-host etcd. Each
 * member runs the real etcd with the config file and the command line of its rendered unit, and the
 * certificates and keys of its bundle (minted for real by the library's PKI path, for its
 * address); then control-plane-0's real `kubeadm init` runs against them through the API server's
 * etcd client certificate from ClusterPki. Member addresses and names are the rendered ones.
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { k8sBin, k8sBinDir } from "../helpers/k8s-bin";
import { stopAll } from "./machines";
import { install, kubeadmInit, machinePath, Machine, planWithRealCerts, Vpc, type Planned } from "./cluster";
import { fileOf } from "./role-files";

jest.setTimeout(600_000);

const CP_IP = "10.0.64.10";
const CONFIG = `config:
  aws:region: eu-west-1
  pulumi-kubeadm-aws:cluster:
    name: ext
    tier: dev
    region: eu-west-1
    availabilityZones: [eu-west-1a, eu-west-1b]
    api:
      allowedCidrs: [203.0.113.0/24]
    etcd:
      topology: dedicated
      runtime: on-host
      members: 3
`;

interface Member {
  name: string;
  ip: string;
  config: string;
  execStart: string[];
  pki: Record<string, string>;
  pkiDir: string;
}

let plan: Planned;
let vpc: Vpc;
let cp: Machine;
const machines: Machine[] = [];
let members: Member[] = [];
let endpoints: string[] = [];
let init: { status: number; output: string };

/** The rendered member i: its config, unit and certificates from its files (user data and bundle, as on the node). */
function member(i: number): Member {
  const files = plan.files(`etcd-${i}`);
  const config = fileOf(files, "/etc/etcd/etcd.conf.yml");
  const unit = fileOf(files, "/etc/systemd/system/etcd.service");
  const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(/\s+/);
  const conf = parse(config) as { name: string; "listen-client-urls": string; "client-transport-security": { "cert-file": string } };
  const pkiDir = path.dirname(conf["client-transport-security"]["cert-file"]);
  return {
    name: conf.name,
    ip: new URL(conf["listen-client-urls"].split(",")[0]!).hostname,
    config,
    execStart: exec,
    pki: Object.fromEntries(files.filter((f) => path.dirname(f.path) === pkiDir).map((f) => [path.basename(f.path), f.content])),
    pkiDir,
  };
}

function etcdctl(args: string[]) {
  return cp.run(k8sBin("etcdctl"), [
    `--endpoints=${endpoints.join(",")}`,
    "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
    "--cert=/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "--key=/etc/kubernetes/pki/apiserver-etcd-client.key",
    ...args,
  ]);
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ext-stack-"));
  writeFileSync(path.join(dir, "Pulumi.ext.yaml"), CONFIG);
  plan = await planWithRealCerts({ configFile: path.join(dir, "Pulumi.ext.yaml") });
  vpc = await Vpc.create();
  members = [0, 1, 2].map(member);
  const cpFiles = plan.files("control-plane-0");
  const initYaml = fileOf(cpFiles, "/etc/kubernetes/kubeadm/init.yaml");
  endpoints = /endpoints:\n((?:\s+- .+\n)+)/
    .exec(initYaml)![1]!
    .split("\n")
    .map((l) => l.replace(/^\s*-\s*/, "").trim())
    .filter(Boolean);
  // The private zone: each endpoint's name resolves to its member's address.
  const hosts = endpoints.map((e, i) => `${members[i]!.ip} ${new URL(e).hostname}`);
  for (const m of members) {
    const machine = await Machine.create(vpc, m.name, { ips: [m.ip], hosts });
    machine.write("/etc/etcd/etcd.conf.yml", m.config);
    for (const [f, pem] of Object.entries(m.pki)) machine.write(`${m.pkiDir}/${f}`, pem, f.endsWith(".key") ? 0o600 : 0o644);
    machine.start("etcd", path.join(k8sBinDir(), path.basename(m.execStart[0]!)), m.execStart.slice(1));
    machines.push(machine);
  }
  cp = await Machine.create(vpc, `ip-${CP_IP.replace(/\./g, "-")}.eu-west-1.compute.internal`, {
    ips: [CP_IP],
    hosts: [`${CP_IP} ${plan.apiName}`, ...hosts],
  });
  install(cp, cpFiles);
  cp.write("/etc/kubernetes/pulumi-admin.conf", plan.adminKubeconfig, 0o600);
  const healthy = Date.now() + 60_000;
  while (etcdctl(["endpoint", "health"]).status !== 0 && Date.now() < healthy) await new Promise((r) => setTimeout(r, 500));
  init = await kubeadmInit(cp);
});

afterAll(async () => {
  await cp?.stop();
  for (const m of machines) await m.stop();
  stopAll();
});

describe("a 3-member dedicated etcd from the rendered member configs, and kubeadm init on it", () => {
  test("the members form a healthy cluster the API server's etcd client certificate may use", () => {
    const health = etcdctl(["endpoint", "health", "-w", "json"]);
    expect(health.status).toBe(0);
    const list = JSON.parse(health.stdout) as { endpoint: string; health: boolean }[];
    expect(list.map((e) => [e.endpoint, e.health]).sort()).toEqual(endpoints.map((e) => [e, true]).sort());
    for (const m of machines) expect(m.log("etcd")).not.toMatch(/deprecated|unrecognized|unknown flag/i);
  });

  test("kubeadm init succeeds with external etcd", () => {
    expect({ status: init.status, tail: init.status === 0 ? "" : init.output.slice(-3000) }).toEqual({ status: 0, tail: "" });
    expect(cp.run("test", ["-e", "/etc/kubernetes/manifests/etcd.yaml"]).status).not.toBe(0);
  });

  test("/readyz answers and the program's admin kubeconfig works", () => {
    expect(cp.run("curl", ["-s", "--cacert", "/etc/kubernetes/pki/ca.crt", `https://${plan.apiName}:6443/readyz`]).stdout).toBe("ok");
    const r = cp.run("kubectl", ["--kubeconfig", "/etc/kubernetes/pulumi-admin.conf", "get", "--raw", "/readyz/etcd"], {
      env: { PATH: machinePath() },
    });
    expect(r.stdout).toBe("ok");
  });

  test("a Secret written through the API is encrypted in every member", () => {
    const canary = "external-etcd-canary-in-plain-text";
    const created = cp.run(
      "kubectl",
      ["--kubeconfig", "/etc/kubernetes/pulumi-admin.conf", "create", "secret", "generic", "probe", `--from-literal=v=${canary}`],
      { env: { PATH: machinePath() } },
    );
    expect(created.stderr).toBe("");
    for (const e of endpoints) {
      const raw = cp.run(k8sBin("etcdctl"), [
        `--endpoints=${e}`,
        "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
        "--cert=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--key=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--consistency=s",
        "get",
        "/registry/secrets/default/probe",
        "--print-value-only",
      ]);
      expect(raw.stdout.startsWith("k8s:enc:secretbox:v1:key1:")).toBe(true);
      expect(raw.stdout).not.toContain(canary);
    }
  });
});
