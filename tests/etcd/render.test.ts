/** Pure renderers checked by real tools: the manifest's etcd --help (built by tools/k8s/build.ts), shellcheck, cloud-init schema, yamllint, kubernetes-models. */
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { Pod } from "kubernetes-models/v1";
import {
  colocatedNodeFiles, configFlagNames, etcdConfig, etcdLayout, etcdPod, kubeadmEtcdBlock, memberBootFiles, planMembers, renderBootScript, renderEtcdConfig,
  renderEtcdPod, renderMemberCloudInit, reservedBlockCidr, stackedEtcdNodeFiles, standaloneKubeletConfig, type MemberBootInput,
} from "../../components/etcd";
import { renderBackupScript, renderBackupTimer, renderRestoreScript } from "../../components/backup";
import { contains, parseCidr } from "../../components/core/cidr";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { k8sBin } from "../helpers/k8s-bin";

const CIDRS = ["10.30.64.0/20", "10.30.80.0/20", "10.30.96.0/20"];
const plan = (members: number, cidrs = CIDRS) => planMembers({ cluster: "prod", domain: "k8s.example.internal", members, subnetCidrs: cidrs });
const cpPlan = (members: number) => planMembers({ cluster: "prod", domain: "k8s.example.internal", members, subnetCidrs: CIDRS, blockFromEnd: 3, namePrefix: "control-plane" });

function tool(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`${cmd} is required for this test: ${r.error.message}`);
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

let dir = "";
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), "etcd-render-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function bootInput(runtime: "on-host" | "containerized", members = 3, n = 0): MemberBootInput {
  const all = plan(members);
  return {
    cluster: "prod", region: "eu-west-1", runtime, etcdVersion: DEFAULT_VERSIONS.etcd,
    config: { member: all[n]!, members: all, clusterToken: "prod-etcd" },
    volumeId: "vol-0123456789abcdef0", secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:etcd-0-pki-AbCdEf",
    backup: { bucket: "prod-etcd-backups-abc", intervalMinutes: 15 },
  };
}

describe("etcd config file", () => {
  /** `etcd --help` of the manifest's etcd: each flag (`--name`) with its description lines. */
  const helpFlags = () => {
    const etcd = k8sBin("etcd");
    expect(execFileSync(etcd, ["--version"], { encoding: "utf8" })).toContain(`etcd Version: ${DEFAULT_VERSIONS.etcd}\n`);
    const out = execFileSync(etcd, ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const flags = new Map<string, string>();
    let current = "";
    for (const line of out.split("\n")) {
      const f = /^\s{2}--([a-z0-9-]+)/.exec(line);
      if (f) flags.set((current = f[1]!), "");
      else if (current && /^\s{4}\S/.test(line)) flags.set(current, `${flags.get(current)} ${line.trim()}`.trim());
      else current = "";
    }
    return flags;
  };

  test(`every key the library writes is a current, non-deprecated flag of the real etcd ${DEFAULT_VERSIONS.etcd} (etcd ignores unknown keys)`, () => {
    const flags = helpFlags();
    expect(flags.size).toBeGreaterThan(100);
    // The check can fail: a misspelling, a flag etcd 3.6 removed, and one it deprecated.
    expect(flags.has("data-directory")).toBe(false);
    expect(flags.has("enable-v2")).toBe(false);
    expect(flags.get("max-snapshots")).toMatch(/Deprecated in v3\.6/);
    for (const members of [1, 3, 5, 7]) {
      for (const member of plan(members)) {
        const names = configFlagNames(etcdConfig({ member, members: plan(members), clusterToken: "t" }));
        expect(names).toEqual(expect.arrayContaining(["peer-client-cert-auth", "client-cert-auth", "peer-trusted-ca-file", "trusted-ca-file", "peer-cert-file", "cert-file"]));
        expect(names.filter((k) => !flags.has(k))).toEqual([]);
        expect(names.filter((k) => /deprecat|decommission/i.test(flags.get(k)!))).toEqual([]);
      }
    }
  }, 60 * 60 * 1000); // k8sBin waits for a cold build of the binaries

  test("TLS with client-certificate auth for clients and peers; URLs on the member's fixed address; metrics on loopback only", () => {
    const members = plan(3);
    const cfg = etcdConfig({ member: members[1]!, members, clusterToken: "prod-etcd" });
    expect(cfg["client-transport-security"]).toEqual({ "cert-file": "/etc/etcd/pki/server.crt", "key-file": "/etc/etcd/pki/server.key", "client-cert-auth": true, "trusted-ca-file": "/etc/etcd/pki/ca.crt" });
    expect(cfg["peer-transport-security"]).toEqual({ "cert-file": "/etc/etcd/pki/peer.crt", "key-file": "/etc/etcd/pki/peer.key", "client-cert-auth": true, "trusted-ca-file": "/etc/etcd/pki/ca.crt" });
    expect(cfg["listen-client-urls"]).toBe(`https://${members[1]!.ip}:2379`);
    expect(cfg["listen-peer-urls"]).toBe(`https://${members[1]!.ip}:2380`);
    expect(cfg["listen-metrics-urls"]).toBe("http://127.0.0.1:2381");
    expect(cfg["initial-cluster"]).toBe(members.map((m) => `${m.name}=https://${m.ip}:2380`).join(","));
    for (const url of [cfg["listen-client-urls"], cfg["listen-peer-urls"], cfg["advertise-client-urls"], cfg["initial-advertise-peer-urls"]]) expect(url).toMatch(/^https:/);
  });

  test("the YAML passes yamllint and reads back as the typed object", () => {
    const members = plan(5);
    const text = renderEtcdConfig({ member: members[4]!, members, clusterToken: "prod-etcd" });
    expect(parseYaml(text)).toEqual(etcdConfig({ member: members[4]!, members, clusterToken: "prod-etcd" }));
    const r = tool("yamllint", ["-d", "{extends: relaxed, rules: {line-length: disable}}", file("etcd.conf.yml", text)]);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("member plan", () => {
  test("names, round-robin AZs and fixed addresses in the reserved block", () => {
    const p = plan(5);
    expect(p.map((m) => [m.name, m.azIndex, m.ip])).toEqual([
      ["etcd-0", 0, "10.30.79.228"], ["etcd-1", 1, "10.30.95.228"], ["etcd-2", 2, "10.30.111.228"], ["etcd-3", 0, "10.30.79.229"], ["etcd-4", 1, "10.30.95.229"],
    ]);
    // the /28 before the last one of 10.30.64.0/20 (which ends at .79.255) starts at .79.224
    expect(reservedBlockCidr("10.30.64.0/20")).toBe("10.30.79.224/28");
    expect(p[0]!.dnsName).toBe("etcd-0.prod.k8s.example.internal");
    expect(() => plan(4)).toThrow(/1, 3, 5 or 7/);
    expect(() => plan(3, ["10.0.0.0/27"])).toThrow(/too small/);
  });

  test("property: addresses are distinct, inside their AZ's subnet and reserved block, and a bigger cluster never moves a member", () => {
    const subnetArb = fc.integer({ min: 1, max: 3 }).chain((azs) => fc.integer({ min: 16, max: 26 }).map((prefix) =>
      Array.from({ length: azs }, (_, k) => `10.${k}.0.0/${prefix}`)));
    fc.assert(fc.property(subnetArb, fc.constantFrom(1, 3, 5, 7), (cidrs, members) => {
      const p = plan(members, cidrs);
      expect(new Set(p.map((m) => m.ip)).size).toBe(members);
      for (const m of p) {
        expect(m.azIndex).toBe(m.index % cidrs.length);
        const ip = parseCidr(`${m.ip}/32`)!;
        expect(contains(parseCidr(cidrs[m.azIndex]!)!, ip)).toBe(true);
        expect(contains(parseCidr(reservedBlockCidr(cidrs[m.azIndex]!))!, ip)).toBe(true);
      }
      if (members < 7) expect(plan(7, cidrs).slice(0, members)).toEqual(p);
    }));
  });
});

describe("kubeadm etcd block", () => {
  const endpoints = plan(3).map((m) => `https://${m.ip}:2379`);
  test.each([
    ["colocated", "containerized", "stacked"],
    ["colocated", "on-host", "colocated-on-host"],
    ["dedicated", "on-host", "dedicated-on-host"],
    ["dedicated", "containerized", "dedicated-containerized"],
  ] as const)("%s + %s is %s", (topology, runtime, layout) => {
    expect(etcdLayout({ topology, runtime })).toBe(layout);
    const block = kubeadmEtcdBlock(layout, DEFAULT_VERSIONS.etcd, endpoints);
    if (layout === "stacked") expect(block).toEqual({ local: { dataDir: "/var/lib/etcd", imageTag: `${DEFAULT_VERSIONS.etcd}-0` } });
    else expect(block).toEqual({ external: { endpoints, caFile: "/etc/kubernetes/pki/etcd/ca.crt", certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt", keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key" } });
  });
});

describe("containerized etcd", () => {
  test("the static pod is a valid v1 Pod (kubernetes-models) and runs etcd with the config file", () => {
    const obj = etcdPod({ memberName: "etcd-0", etcdVersion: DEFAULT_VERSIONS.etcd });
    expect(() => new Pod(obj as ConstructorParameters<typeof Pod>[0]).validate()).not.toThrow();
    expect(parseYaml(renderEtcdPod({ memberName: "etcd-0", etcdVersion: DEFAULT_VERSIONS.etcd }))).toEqual(obj);
    const c = (obj.spec as { containers: { image: string; command: string[] }[] }).containers[0]!;
    expect(c.image).toBe(`registry.k8s.io/etcd:${DEFAULT_VERSIONS.etcd}-0`);
    expect(c.command).toEqual(["etcd", "--config-file=/etc/etcd/etcd.conf.yml"]);
    // The validator is real: a wrong type is rejected.
    const broken = { ...obj, spec: { ...(obj.spec as object), hostNetwork: "yes" } };
    expect(() => new Pod(broken as unknown as ConstructorParameters<typeof Pod>[0]).validate()).toThrow();
  });

  test("the standalone kubelet serves only static pods, on loopback, with no anonymous access", () => {
    expect(standaloneKubeletConfig()).toMatchObject({
      apiVersion: "kubelet.config.k8s.io/v1beta1", kind: "KubeletConfiguration", staticPodPath: "/etc/kubernetes/manifests",
      address: "127.0.0.1", readOnlyPort: 0, authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
    });
    const files = memberBootFiles(bootInput("containerized")).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["/etc/kubernetes/manifests/etcd.yaml", "/etc/kubernetes/kubelet-etcd.yaml", "/etc/systemd/system/kubelet.service.d/20-etcd-standalone.conf"]));
    expect(files).not.toContain("/etc/systemd/system/etcd.service");
  });
});

describe("scripts pass shellcheck -S warning", () => {
  const scripts: [string, string][] = [
    ["boot-on-host", renderBootScript({ memberName: "etcd-0", volumeId: "vol-1", secretId: "arn:x", region: "eu-west-1", runtime: "on-host" })],
    ["boot-containerized", renderBootScript({ memberName: "etcd-0", volumeId: "vol-1", secretId: "arn:x", region: "eu-west-1", runtime: "containerized" })],
    ["backup", renderBackupScript({ cluster: "prod", memberName: "etcd-0", endpoint: "https://10.0.0.1:2379", client: { caFile: "/a", certFile: "/b", keyFile: "/c" }, bucket: "b", region: "eu-west-1" })],
    ["restore", renderRestoreScript({ cluster: "prod", memberName: "etcd-0", peerUrl: "https://10.0.0.1:2380", initialCluster: "etcd-0=https://10.0.0.1:2380", clusterToken: "t", dataDir: "/var/lib/etcd", region: "eu-west-1" })],
    ...memberBootFiles(bootInput("containerized")).filter((f) => f.path.includes("/sbin/")).map((f): [string, string] => [`containerized${f.path.replace(/\//g, "_")}`, f.content]),
    ...stackedEtcdNodeFiles({ cluster: "prod", region: "eu-west-1", memberName: "control-plane-0", bucket: "b", intervalMinutes: 60 })
      .filter((f) => f.path.includes("/sbin/")).map((f): [string, string] => [`stacked${f.path.replace(/\//g, "_")}`, f.content]),
    ...colocatedNodeFiles({ cluster: "prod", region: "eu-west-1", member: cpPlan(3)[2]!, members: cpPlan(3), bucket: "b", intervalMinutes: 60 })
      .filter((f) => f.path.includes("/sbin/")).map((f): [string, string] => [`colocated${f.path.replace(/\//g, "_")}`, f.content]),
  ];
  test.each(scripts)("%s", (name, content) => {
    const r = tool("shellcheck", ["-S", "warning", "-s", "bash", file(`${name}.sh`, content)]);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  test("shellcheck is real: a broken script fails", () => {
    expect(tool("shellcheck", ["-S", "warning", file("bad.sh", "#!/bin/bash\nrm -rf $1/*\nif [ $x = ]; then echo; fi\n")]).status).not.toBe(0);
  });
});

describe("member cloud-init", () => {
  test.each(["on-host", "containerized"] as const)("%s: passes cloud-init schema, fits in user data, carries no secret", (runtime) => {
    const text = renderMemberCloudInit(bootInput(runtime, 7, 6));
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(16 * 1024);
    expect(text).not.toMatch(/PRIVATE KEY/);
    const r = tool("cloud-init", ["schema", "-c", file(`cloud-init-${runtime}.yaml`, text)]);
    expect(r.out).toMatch(/Valid cloud-config/);
    expect(r.status).toBe(0);
    const doc = parseYaml(text, { version: "1.1" }) as { write_files: { path: string; permissions: string }[]; runcmd: string[][] };
    expect(doc.runcmd).toEqual([["/usr/local/sbin/etcd-member-boot"]]);
    expect(doc.write_files.find((f) => f.path === "/usr/local/sbin/etcd-member-boot")!.permissions).toBe("0755");
  });

  test("cloud-init schema is real: an unknown module key fails", () => {
    const r = tool("cloud-init", ["schema", "-c", file("bad-cloud-init.yaml", "#cloud-config\nwrite_files:\n  - path: 7\n    permissions: [1]\n")]);
    expect(r.status).not.toBe(0);
  });

  test("the backup timer runs at the tier's interval", () => {
    expect(renderBackupTimer(15)).toContain("OnUnitActiveSec=15min");
    expect(() => renderBackupTimer(0)).toThrow(/positive integer/);
  });
});
