/**
 * Pure renderers checked by real tools: the manifest's etcd --help (built by tools/k8s/build.ts), shellcheck (on the
 * node/sbin files themselves), cloud-init schema, yamllint, systemd-analyze, kubernetes-models; and the member env
 * file checked against what the scripts read.
 */
import { dedicatedMemberFiles, dedicatedMemberInput, MEMBER_PKI } from "./fixtures";
import { execFileSync, spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { Pod } from "kubernetes-models/v1";
import {
  memberFiles as etcdMemberFiles,
  etcdClusterToken,
  configFlagNames,
  etcdConfig,
  etcdPod,
  planMembers,
  renderEtcdConfig,
  renderEtcdPod,
  renderMemberFiles,
  reservedBlockCidr,
  stackedEtcdNodeFiles,
  standaloneKubeletConfig,
} from "../../components/etcd";
import { etcdLayout, kubeadmEtcdBlock } from "../../components/bootstrap";
import { renderBackupUnits } from "../../components/backup";
import { inBundle, renderCloudConfig, type RoleFile } from "../../components/bootstrap/files";
import { nodeDir, nodeScriptText } from "../../components/bootstrap/node-scripts";
import { parseEnvFile } from "../../components/bootstrap/env-file";
import { contains, parseCidr } from "../../components/core/cidr";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { k8sBin } from "../helpers/k8s-bin";

const CIDRS = ["10.30.64.0/20", "10.30.80.0/20", "10.30.96.0/20"];
const plan = (members: number, cidrs = CIDRS) =>
  planMembers({ cluster: "prod", domain: "k8s.example.internal", members, subnetCidrs: cidrs });
const cpPlan = (members: number) =>
  planMembers({
    cluster: "prod",
    domain: "k8s.example.internal",
    members,
    subnetCidrs: CIDRS,
    blockFromEnd: 3,
    namePrefix: "control-plane",
  });

function tool(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`${cmd} is required for this test: ${r.error.message}`);
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "etcd-render-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const memberInput = dedicatedMemberInput;
const PKI = MEMBER_PKI;
const memberFiles = dedicatedMemberFiles;

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

  test(
    `every key the library writes is a current, non-deprecated flag of the real etcd ${DEFAULT_VERSIONS.etcd} (etcd ignores unknown keys)`,
    () => {
      const flags = helpFlags();
      expect(flags.size).toBeGreaterThan(100);
      // The check can fail: a misspelling, a flag etcd 3.6 removed, and one it deprecated.
      expect(flags.has("data-directory")).toBe(false);
      expect(flags.has("enable-v2")).toBe(false);
      expect(flags.get("max-snapshots")).toMatch(/Deprecated in v3\.6/);
      for (const members of [1, 3, 5, 7]) {
        for (const member of plan(members)) {
          const names = configFlagNames(etcdConfig({ member, members: plan(members), clusterToken: "t" }));
          expect(names).toEqual(
            expect.arrayContaining([
              "peer-client-cert-auth",
              "client-cert-auth",
              "peer-trusted-ca-file",
              "trusted-ca-file",
              "peer-cert-file",
              "cert-file",
            ]),
          );
          expect(names.filter((k) => !flags.has(k))).toEqual([]);
          expect(names.filter((k) => /deprecat|decommission/i.test(flags.get(k)!))).toEqual([]);
        }
      }
    },
    60 * 60 * 1000,
  ); // k8sBin waits for a cold build of the binaries

  test("TLS with client-certificate auth for clients and peers; URLs on the member's fixed address; metrics on loopback only", () => {
    const members = plan(3);
    const cfg = etcdConfig({ member: members[1]!, members, clusterToken: "prod-etcd" });
    expect(cfg["client-transport-security"]).toEqual({
      "cert-file": "/etc/etcd/pki/server.crt",
      "key-file": "/etc/etcd/pki/server.key",
      "client-cert-auth": true,
      "trusted-ca-file": "/etc/etcd/pki/ca.crt",
    });
    expect(cfg["peer-transport-security"]).toEqual({
      "cert-file": "/etc/etcd/pki/peer.crt",
      "key-file": "/etc/etcd/pki/peer.key",
      "client-cert-auth": true,
      "trusted-ca-file": "/etc/etcd/pki/ca.crt",
    });
    expect(cfg["listen-client-urls"]).toBe(`https://${members[1]!.ip}:2379`);
    expect(cfg["listen-peer-urls"]).toBe(`https://${members[1]!.ip}:2380`);
    expect(cfg["listen-metrics-urls"]).toBe("http://127.0.0.1:2381");
    expect(cfg["initial-cluster"]).toBe(members.map((m) => `${m.name}=https://${m.ip}:2380`).join(","));
    for (const url of [
      cfg["listen-client-urls"],
      cfg["listen-peer-urls"],
      cfg["advertise-client-urls"],
      cfg["initial-advertise-peer-urls"],
    ])
      expect(url).toMatch(/^https:/);
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
      ["etcd-0", 0, "10.30.79.228"],
      ["etcd-1", 1, "10.30.95.228"],
      ["etcd-2", 2, "10.30.111.228"],
      ["etcd-3", 0, "10.30.79.229"],
      ["etcd-4", 1, "10.30.95.229"],
    ]);
    // the /28 before the last one of 10.30.64.0/20 (which ends at .79.255) starts at .79.224
    expect(reservedBlockCidr("10.30.64.0/20")).toBe("10.30.79.224/28");
    expect(p[0]!.dnsName).toBe("etcd-0.prod.k8s.example.internal");
    expect(() => plan(4)).toThrow(/1, 3, 5 or 7/);
    expect(() => plan(3, ["10.0.0.0/27"])).toThrow(/too small/);
  });

  test("property: addresses are distinct, inside their AZ's subnet and reserved block, and a bigger cluster never moves a member", () => {
    const subnetArb = fc
      .integer({ min: 1, max: 3 })
      .chain((azs) => fc.integer({ min: 16, max: 26 }).map((prefix) => Array.from({ length: azs }, (_, k) => `10.${k}.0.0/${prefix}`)));
    fc.assert(
      fc.property(subnetArb, fc.constantFrom(1, 3, 5, 7), (cidrs, members) => {
        const p = plan(members, cidrs);
        expect(new Set(p.map((m) => m.ip)).size).toBe(members);
        for (const m of p) {
          expect(m.azIndex).toBe(m.index % cidrs.length);
          const ip = parseCidr(`${m.ip}/32`)!;
          expect(contains(parseCidr(cidrs[m.azIndex]!)!, ip)).toBe(true);
          expect(contains(parseCidr(reservedBlockCidr(cidrs[m.azIndex]!))!, ip)).toBe(true);
        }
        if (members < 7) expect(plan(7, cidrs).slice(0, members)).toEqual(p);
      }),
    );
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
    else
      expect(block).toEqual({
        external: {
          endpoints,
          caFile: "/etc/kubernetes/pki/etcd/ca.crt",
          certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
          keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
        },
      });
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

  test("the standalone kubelet serves only static pods, on loopback, with no anonymous access, and waits for the data volume's mount", () => {
    expect(standaloneKubeletConfig()).toMatchObject({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      staticPodPath: "/etc/etcd/manifests",
      address: "127.0.0.1",
      readOnlyPort: 0,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
    });
    const files = memberFiles("containerized");
    const at = (p: string) => files.find((f) => f.path === p);
    // Static pod and kubelet config come with the bundle; the kubelet drop-in (outside the bundle's paths) with the user data.
    expect([at("/etc/etcd/manifests/etcd.yaml"), at("/etc/etcd/kubelet.yaml")].map((f) => f && inBundle(f))).toEqual([true, true]);
    const dropIn = at("/etc/systemd/system/kubelet.service.d/20-etcd-standalone.conf")!;
    expect(inBundle(dropIn)).toBe(false);
    expect(dropIn.content).toContain("[Unit]\nRequiresMountsFor=/var/lib/etcd\n");
    expect(at("/etc/systemd/system/etcd.service")).toBeUndefined();
    expect(parseEnvFile(at("/etc/etcd/member.env")!.content)).toMatchObject({
      KUBEADM_AWS_ETCD_UNIT: "kubelet.service",
      KUBEADM_AWS_ETCD_STATIC_POD: "/etc/etcd/manifests/etcd.yaml",
    });
  });
});

/** Every `$KUBEADM_AWS_ETCD_*` a script reads without a default (`${X:-}` and `${X:?}` are optional or checked). */
function requiredVars(script: string): string[] {
  const refs = [...script.matchAll(/\$\{?(KUBEADM_AWS_ETCD_[A-Z0-9_]+)(:[-?])?/g)].filter((m) => m[2] === undefined).map((m) => m[1]!);
  return [...new Set(refs)].sort();
}
const SCRIPTS = readdirSync(path.join(nodeDir(), "sbin"))
  .filter((f) => f.startsWith("etcd-"))
  .sort();
const sbin = (f: string) => path.join(nodeDir(), "sbin", f);

describe("the etcd scripts are the node/sbin files, installed as they are", () => {
  test("shellcheck -S style passes every one, following lib.sh", () => {
    expect(SCRIPTS).toEqual(["etcd-backup.sh", "etcd-member-boot.sh", "etcd-node-start.sh", "etcd-restore.sh"]);
    const r = tool("shellcheck", ["-S", "style", "-x", ...SCRIPTS.map(sbin)]);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  test("shellcheck is real: a broken script fails", () => {
    expect(tool("shellcheck", ["-S", "warning", file("bad.sh", "#!/bin/bash\nrm -rf $1/*\nif [ $x = ]; then echo; fi\n")]).status).not.toBe(
      0,
    );
  });

  const layouts: [string, RoleFile[] | { path: string; content: string }[]][] = [
    ["dedicated on-host", memberFiles("on-host")],
    ["dedicated containerized", memberFiles("containerized", 7, 6)],
    [
      "colocated on-host",
      etcdMemberFiles({
        cluster: "prod",
        region: "eu-west-1",
        runtime: "on-host",
        config: { member: cpPlan(3)[2]!, members: cpPlan(3), clusterToken: etcdClusterToken("prod") },
        backup: { bucket: "b", intervalMinutes: 60 },
      }),
    ],
    [
      "stacked",
      stackedEtcdNodeFiles({ cluster: "prod", region: "eu-west-1", memberName: "control-plane-0", bucket: "b", intervalMinutes: 60 }),
    ],
  ];
  test.each(layouts)(
    "%s: each etcd script is byte for byte its node file, and the member env file sets every variable it reads",
    (_, files) => {
      const scripts = files.filter((f) => f.path.startsWith("/usr/local/sbin/etcd-"));
      expect(scripts.length).toBeGreaterThan(0);
      const env = parseEnvFile(files.find((f) => f.path === "/etc/etcd/member.env")!.content);
      for (const f of scripts) {
        const source = `sbin/${path.basename(f.path)}.sh`;
        expect([f.path, f.content]).toEqual([f.path, nodeScriptText(source)]);
        expect([f.path, requiredVars(f.content).filter((k) => !(k in env))]).toEqual([f.path, []]);
      }
    },
  );

  test("the check of the variables is real: it finds one the env file lacks", () => {
    expect(requiredVars('x="$KUBEADM_AWS_ETCD_NOPE" y="${KUBEADM_AWS_ETCD_ENV:?}" z="${KUBEADM_AWS_ETCD_STATIC_POD:-}"')).toEqual([
      "KUBEADM_AWS_ETCD_NOPE",
    ]);
  });
});

describe("a dedicated member boots like every role", () => {
  test.each(["on-host", "containerized"] as const)(
    "%s: the user data passes cloud-init schema, fits, carries no key, starts the bootstrap unit with etcd-member-boot as its action",
    (runtime) => {
      const files = memberFiles(runtime, 7, 6);
      const text = renderCloudConfig("etcd-6", files);
      expect(Buffer.byteLength(text)).toBeLessThan(16 * 1024);
      expect(text).not.toMatch(/PRIVATE KEY/);
      const r = tool("cloud-init", ["schema", "-c", file(`cloud-init-${runtime}.yaml`, text)]);
      expect(r.out).toMatch(/Valid cloud-config/);
      expect(r.status).toBe(0);
      const doc = parseYaml(text, { version: "1.1" }) as { write_files: { path: string; content: string }[]; runcmd: string[][] };
      expect(doc.runcmd).toEqual([
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "--no-block", "kubeadm-aws-bootstrap.service"],
      ]);
      const written = new Map(doc.write_files.map((f) => [f.path, f.content]));
      expect(parseEnvFile(written.get("/etc/kubeadm-aws/bootstrap.env")!)).toMatchObject({
        KUBEADM_AWS_ROLE: "etcd-6",
        KUBEADM_AWS_SECRET_ID: "prod/bootstrap/etcd-6",
        KUBEADM_AWS_BOOT_ACTION: "/usr/local/sbin/etcd-member-boot",
        KUBEADM_AWS_ENABLE_UNITS: "etcd-backup.timer",
        // The boot action finds the member env file through the boot's own env.
        KUBEADM_AWS_ETCD_ENV: "/etc/etcd/member.env",
      });
      // Config, member env, scripts and keys come with the bundle, which the unpacker may write.
      for (const p of ["/etc/etcd/etcd.conf.yml", "/etc/etcd/member.env", "/usr/local/sbin/etcd-member-boot", "/etc/etcd/pki/server.key"])
        expect(written.has(p)).toBe(false);
      const allowed = written
        .get(parseEnvFile(written.get("/etc/kubeadm-aws/bootstrap.env")!).KUBEADM_AWS_BUNDLE_PATHS!)!
        .trim()
        .split("\n");
      expect(allowed).toContain("/etc/etcd/");
      expect(
        files
          .filter(inBundle)
          .map((f) => f.path)
          .filter((p) => !allowed.some((a) => p.startsWith(a))),
      ).toEqual([]);
    },
  );

  test("the digests in the user data are `sha256sum --check`'s, over the bundle's plain files, and catch a changed one", () => {
    const files = memberFiles("on-host");
    const root = mkdtempSync(path.join(dir, "root-"));
    for (const f of files.filter(inBundle)) {
      mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
      writeFileSync(path.join(root, f.path), f.content);
    }
    const digest = files.find((f) => f.path === "/etc/etcd/boot-files.sha256")!.content;
    expect(digest).not.toContain("/etc/etcd/pki/");
    expect(digest).toContain("  /usr/local/sbin/kubeadm-aws-boot\n");
    const check = () =>
      spawnSync("sha256sum", ["--check", "--strict", "--quiet"], { cwd: root, input: digest.replace(/ {2}\//g, "  "), encoding: "utf8" })
        .status;
    expect(check()).toBe(0);
    writeFileSync(path.join(root, "etc/etcd/etcd.conf.yml"), "changed\n");
    expect(check()).not.toBe(0);
  });

  test("a change of any plain file changes the user data (the instance is replaced); a new key does not", () => {
    const base = renderCloudConfig("etcd-0", memberFiles("on-host"));
    const rekeyed = renderCloudConfig(
      "etcd-0",
      renderMemberFiles(memberInput("on-host"), { ...PKI, serverKeyPem: "-----BEGIN PRIVATE KEY-----\nnew\n" }),
    );
    const rebucketed = renderCloudConfig(
      "etcd-0",
      renderMemberFiles({ ...memberInput("on-host"), backup: { bucket: "other", intervalMinutes: 15 } }, PKI),
    );
    expect(rekeyed).toBe(base);
    expect(rebucketed).not.toBe(base);
  });

  test("the member's units pass systemd-analyze verify (etcd waits for the data dir's mount)", () => {
    const files = memberFiles("on-host").filter((f) => f.path.startsWith("/etc/systemd/system/etcd"));
    expect(files.map((f) => f.path).sort()).toEqual([
      "/etc/systemd/system/etcd-backup.service",
      "/etc/systemd/system/etcd-backup.timer",
      "/etc/systemd/system/etcd.service",
    ]);
    expect(files.find((f) => f.path.endsWith("etcd.service"))!.content).toContain("RequiresMountsFor=/var/lib/etcd\n");
    const units = files.map((f) => file(path.basename(f.path), f.content));
    const v = tool("systemd-analyze", ["verify", "--man=no", ...units]);
    const problems = v.out
      .split("\n")
      .filter(
        (l) =>
          l.trim() !== "" &&
          !/is not executable: No such file or directory|Unit (sysinit|basic|shutdown|network-online|local-fs)\.target not found|Failed to create .*: Unit .*\.target not found|etcd-backup\.service.*not found/.test(
            l,
          ),
      );
    expect(problems).toEqual([]);
  });

  test("the backup timer runs at the tier's interval", () => {
    expect(renderBackupUnits("etcd.service", "/etc/etcd/member.env", 15).timer).toContain("OnUnitActiveSec=15min\n");
    for (const bad of [0, -5, 1.5])
      expect(() => renderBackupUnits("etcd.service", "/etc/etcd/member.env", bad)).toThrow(/positive integer/);
  });
});
