/**
 * `kubeadm init --dry-run` (the real kubeadm) on each first control-plane node's init.yaml: the three
 * stacks, stacked vs external etcd (dedicated, and colocated on-host), cluster-ca kubelet serving
 * certificates, and a pinned etcd version. It must succeed and write the static Pod manifests; then
 * the CIS Kubernetes Benchmark control-plane items that kubeadm configuration can set are asserted on
 * THOSE REAL MANIFESTS, not on the library's model.
 *
 * Who sets what: [ours] = our ClusterConfiguration extraArgs/extraVolumes (components/bootstrap/kubeadm.ts);
 * [kubeadm] = kubeadm's own static Pod defaults (we rely on them and do not override them); the last
 * test checks these labels against the rendered extraArgs so they stay true.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { FILES, PATHS } from "../../components/bootstrap";
import type { ClusterSpec } from "../../components/spec";
import { SUPPORTED_MINORS, minorOf } from "../../components/versions/manifest";
import {
  commandOf,
  containerOf,
  externalEtcdEndpoints,
  flagsOf,
  initDryRun,
  kubeadmDocuments,
  mountOf,
  outputOf,
  removeDryRun,
  rebaseCommand,
  yamlDocuments,
  type DryRunResult,
} from "../helpers/kubeadm";
import { matrixSpec, stackSpecs } from "./fixtures";

/** An etcd version the config accepts for the manifest's minor that differs from the manifest default (kubeadm's default too). */
function otherEtcd(spec: ClusterSpec): string {
  const minor = minorOf(spec.versions.kubernetes)!;
  const ok = SUPPORTED_MINORS[minor]!.etcdMinors;
  const candidates = Object.values(SUPPORTED_MINORS)
    .map((s) => s.defaults.etcd)
    .filter((v) => v !== spec.versions.etcd && ok.includes(v.split(".").slice(0, 2).join(".")));
  if (candidates.length === 0) throw new Error(`no second etcd version for ${minor}`);
  return candidates[0]!;
}

const dev = stackSpecs().find((s) => s.stack === "dev")!.spec;
const CASES: { label: string; spec: ClusterSpec }[] = [
  ...stackSpecs().map(({ stack, spec }) => ({ label: `stack ${stack}`, spec })),
  { label: "colocated on-host etcd (external)", spec: matrixSpec("standard", "colocated", "on-host", "self-signed") },
  { label: "stacked etcd, cluster-ca serving certificates", spec: matrixSpec("standard", "colocated", "containerized", "cluster-ca") },
  {
    label: "stacked etcd, etcd version pinned",
    spec: matrixSpec("dev", "colocated", "containerized", "self-signed", { versions: { etcd: otherEtcd(dev) } }),
  },
];

type Case = { label: string; spec: ClusterSpec; stacked: boolean; initYaml: string; run: DryRunResult };
const runs: Case[] = [];
beforeAll(async () => {
  const results = await Promise.all(
    CASES.map(async ({ label, spec }) => {
      const init = kubeadmDocuments(spec).find((d) => d.kind === "init")!;
      const stacked = "local" in yamlDocuments(init.yaml).find((d) => d.kind === "ClusterConfiguration")!.etcd;
      return { label, spec, stacked, initYaml: init.yaml, run: await initDryRun(init.yaml) };
    }),
  );
  runs.push(...results);
}, 170_000);
afterAll(() => {
  for (const c of runs) removeDryRun(c.run);
});

const byLabel = (label: string) => {
  const c = runs.find((r) => r.label === label);
  if (!c) throw new Error(`no dry-run for ${label}`);
  return c;
};
/** Fails with kubeadm's own output unless the dry-run succeeded. */
function ok(label: string): Case {
  const c = byLabel(label);
  if (c.run.status !== 0) throw new Error(`kubeadm init --dry-run failed for ${label}:\n${outputOf(c.run)}`);
  return c;
}
const pod = (c: Case, name: "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "etcd") => {
  const p = c.run.manifests[name];
  if (!p) throw new Error(`${c.label}: kubeadm wrote no ${name}.yaml (wrote ${c.run.files.join(", ")})`);
  return p;
};
const labels = CASES.map((c) => c.label);

describe.each(labels)("%s", (label) => {
  test("kubeadm init --dry-run succeeds and writes the static Pods (etcd.yaml only for stacked etcd)", () => {
    const c = ok(label);
    expect(c.run.files).toEqual(
      expect.arrayContaining([
        "kube-apiserver.yaml",
        "kube-controller-manager.yaml",
        "kube-scheduler.yaml",
        "kubeadm-flags.env",
        "config.yaml",
      ]),
    );
    expect(c.run.files.includes("etcd.yaml")).toBe(c.stacked);
    expect(c.stacked).toBe(label.includes("stacked") || label === "stack dev" || label === "stack staging");
    for (const name of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const) {
      expect(containerOf(pod(c, name), name).image).toBe(`registry.k8s.io/${name}:v${c.spec.versions.kubernetes}`);
    }
  });

  describe("kube-apiserver", () => {
    const flags = () => flagsOf(pod(ok(label), "kube-apiserver"), "kube-apiserver");

    test("[ours] anonymous access only through --authentication-config (health paths), never --anonymous-auth=true", () => {
      const f = flags();
      expect(f.get("authentication-config")).toBe(FILES.authenticationConfig);
      expect(f.has("anonymous-auth")).toBe(false);
    });
    test("[ours] --authorization-mode has Node and RBAC, not AlwaysAllow", () => {
      const modes = flags().get("authorization-mode")!.split(",");
      expect(modes).toEqual(expect.arrayContaining(["Node", "RBAC"]));
      expect(modes).not.toContain("AlwaysAllow");
    });
    test("[ours] NodeRestriction admission on, not disabled", () => {
      const f = flags();
      expect(f.get("enable-admission-plugins")!.split(",")).toContain("NodeRestriction");
      expect((f.get("disable-admission-plugins") ?? "").split(",")).not.toContain("NodeRestriction");
    });
    test("[ours] --profiling=false", () => expect(flags().get("profiling")).toBe("false"));
    test("[ours] audit log: policy, path in the audit dir, maxage >= 30, maxbackup >= 10, maxsize >= 100", () => {
      const f = flags();
      expect(f.get("audit-policy-file")).toBe(FILES.auditPolicy);
      expect(f.get("audit-log-path")).toBe(`${PATHS.auditLogDir}/audit.log`);
      expect(Number(f.get("audit-log-maxage"))).toBeGreaterThanOrEqual(30);
      expect(Number(f.get("audit-log-maxbackup"))).toBeGreaterThanOrEqual(10);
      expect(Number(f.get("audit-log-maxsize"))).toBeGreaterThanOrEqual(100);
    });
    test("[ours] --encryption-provider-config", () => expect(flags().get("encryption-provider-config")).toBe(FILES.encryptionConfig));
    test("[ours] --service-account-extend-token-expiration=false: projected tokens expire when they say", () =>
      expect(flags().get("service-account-extend-token-expiration")).toBe("false"));
    test("[ours] --tls-min-version is TLS 1.2 or 1.3", () =>
      expect(["VersionTLS12", "VersionTLS13"]).toContain(flags().get("tls-min-version")));
    test("[kubeadm] --kubelet-client-certificate/key", () => {
      const f = flags();
      expect(f.get("kubelet-client-certificate")).toBe(`${PATHS.pki}/apiserver-kubelet-client.crt`);
      expect(f.get("kubelet-client-key")).toBe(`${PATHS.pki}/apiserver-kubelet-client.key`);
    });
    test("[kubeadm for stacked, ours for external] --etcd-cafile/certfile/keyfile and TLS etcd servers", () => {
      const c = ok(label);
      const f = flags();
      expect(f.get("etcd-cafile")).toBe(`${PATHS.pki}/etcd/ca.crt`);
      expect(f.get("etcd-certfile")).toBe(`${PATHS.pki}/apiserver-etcd-client.crt`);
      expect(f.get("etcd-keyfile")).toBe(`${PATHS.pki}/apiserver-etcd-client.key`);
      expect(f.get("etcd-servers")!.split(",")).toEqual(c.stacked ? ["https://127.0.0.1:2379"] : externalEtcdEndpoints(c.spec));
    });
    test("[kubeadm] --service-account-lookup not false; --service-account-key-file and signing key", () => {
      const f = flags();
      expect(f.get("service-account-lookup")).not.toBe("false");
      expect(f.get("service-account-key-file")).toBe(`${PATHS.pki}/sa.pub`);
      expect(f.get("service-account-signing-key-file")).toBe(`${PATHS.pki}/sa.key`);
    });
    test("[kubeadm] --client-ca-file and the serving pair --tls-cert-file/--tls-private-key-file", () => {
      const f = flags();
      expect(f.get("client-ca-file")).toBe(`${PATHS.pki}/ca.crt`);
      expect(f.get("tls-cert-file")).toBe(`${PATHS.pki}/apiserver.crt`);
      expect(f.get("tls-private-key-file")).toBe(`${PATHS.pki}/apiserver.key`);
    });
    test("[ours] --kubelet-certificate-authority exactly when kubelet serving certificates come from the cluster CA", () => {
      const c = ok(label);
      expect(flags().get("kubelet-certificate-authority")).toBe(
        c.spec.kubeletServingCertificates === "cluster-ca" ? `${PATHS.pki}/ca.crt` : undefined,
      );
    });
    test("[ours] the config dir is mounted read-only and holds every config file; the audit dir is mounted writable", () => {
      const p = pod(ok(label), "kube-apiserver");
      expect(mountOf(p, "kube-apiserver", PATHS.apiserverDir)).toEqual({
        name: "apiserver-config",
        mountPath: PATHS.apiserverDir,
        readOnly: true,
        hostPath: PATHS.apiserverDir,
        type: "DirectoryOrCreate",
      });
      expect(mountOf(p, "kube-apiserver", PATHS.auditLogDir)).toEqual({
        name: "audit-log",
        mountPath: PATHS.auditLogDir,
        readOnly: false,
        hostPath: PATHS.auditLogDir,
        type: "DirectoryOrCreate",
      });
      const f = flagsOf(p, "kube-apiserver");
      for (const k of ["authentication-config", "encryption-provider-config", "audit-policy-file"])
        expect(path.dirname(f.get(k)!)).toBe(PATHS.apiserverDir);
      expect(path.dirname(f.get("audit-log-path")!)).toBe(PATHS.auditLogDir);
      // certificates reach the pod read-only [kubeadm]
      expect(mountOf(p, "kube-apiserver", PATHS.pki)?.readOnly).toBe(true);
    });
  });

  describe("kube-controller-manager", () => {
    const flags = () => flagsOf(pod(ok(label), "kube-controller-manager"), "kube-controller-manager");
    test("[ours] --profiling=false, --cloud-provider=external, --terminated-pod-gc-threshold set", () => {
      const f = flags();
      expect(f.get("profiling")).toBe("false");
      expect(f.get("cloud-provider")).toBe("external");
      expect(Number(f.get("terminated-pod-gc-threshold"))).toBeGreaterThan(0);
    });
    test("[kubeadm] --use-service-account-credentials=true, --service-account-private-key-file, --root-ca-file, --bind-address=127.0.0.1", () => {
      const f = flags();
      expect(f.get("use-service-account-credentials")).toBe("true");
      expect(f.get("service-account-private-key-file")).toBe(`${PATHS.pki}/sa.key`);
      expect(f.get("root-ca-file")).toBe(`${PATHS.pki}/ca.crt`);
      expect(f.get("bind-address")).toBe("127.0.0.1");
    });
  });

  describe("kube-scheduler", () => {
    test("[ours] --profiling=false; [kubeadm] --bind-address=127.0.0.1", () => {
      const f = flagsOf(pod(ok(label), "kube-scheduler"), "kube-scheduler");
      expect(f.get("profiling")).toBe("false");
      expect(f.get("bind-address")).toBe("127.0.0.1");
    });
  });

  test("stacked etcd: [kubeadm] client and peer certificate auth, cert/key files, no auto-TLS; the image is the manifest's etcd", () => {
    const c = ok(label);
    if (!c.stacked) {
      expect(c.run.manifests.etcd).toBeUndefined();
      return;
    }
    const f = flagsOf(pod(c, "etcd"), "etcd");
    expect(f.get("client-cert-auth")).toBe("true");
    expect(f.get("peer-client-cert-auth")).toBe("true");
    expect(f.get("cert-file")).toBe(`${PATHS.pki}/etcd/server.crt`);
    expect(f.get("key-file")).toBe(`${PATHS.pki}/etcd/server.key`);
    expect(f.get("peer-cert-file")).toBe(`${PATHS.pki}/etcd/peer.crt`);
    expect(f.get("peer-key-file")).toBe(`${PATHS.pki}/etcd/peer.key`);
    expect(f.get("trusted-ca-file")).toBe(`${PATHS.pki}/etcd/ca.crt`);
    expect(f.get("peer-trusted-ca-file")).toBe(`${PATHS.pki}/etcd/ca.crt`);
    expect(f.get("auto-tls")).not.toBe("true");
    expect(f.get("peer-auto-tls")).not.toBe("true");
    expect(f.get("data-dir")).toBe("/var/lib/etcd");
    // The AMI carries the manifest's etcd image; the static Pod must name exactly that tag.
    expect(containerOf(pod(c, "etcd"), "etcd").image).toBe(`registry.k8s.io/etcd:${c.spec.versions.etcd}-0`);
  });

  test("the kubelet files kubeadm would write carry our KubeletConfiguration and kubelet flags", () => {
    const c = ok(label);
    const kubelet = parse(readFileSync(path.join(c.run.dir, "config.yaml"), "utf8")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(kubelet.authentication.anonymous.enabled).toBe(false);
    expect(kubelet.authorization.mode).toBe("Webhook");
    expect(kubelet.readOnlyPort ?? 0).toBe(0);
    expect(kubelet.serverTLSBootstrap === true).toBe(c.spec.kubeletServingCertificates === "cluster-ca");
    expect(c.run.kubeletFlags!.get("cloud-provider")).toBe("external");
  });
});

describe("the dry-run as input for a real control plane", () => {
  test("rebaseCommand points every node path of the apiserver's command at the dry-run folder, where kubeadm wrote the files", () => {
    const c = ok("stack dev");
    const cmd = rebaseCommand(commandOf(pod(c, "kube-apiserver"), "kube-apiserver"), c.run.dir, { [PATHS.apiserverDir]: "/tmp/apiserver" });
    expect(cmd[0]).toBe("kube-apiserver");
    expect(cmd.join(" ")).not.toContain("/etc/kubernetes");
    for (const flag of ["client-ca-file", "tls-cert-file", "service-account-key-file", "etcd-certfile", "kubelet-client-key"]) {
      const v = cmd.find((a) => a.startsWith(`--${flag}=`))!.split("=")[1]!;
      expect(c.run.files).toContain(path.relative(c.run.dir, v));
    }
    expect(cmd).toContain("--authentication-config=/tmp/apiserver/authentication-config.yaml");
  });
});

describe("what we set versus what kubeadm sets", () => {
  test("[ours] flags are in our extraArgs; [kubeadm] flags are not (kubeadm's defaults reach the manifest unchanged)", () => {
    const c = ok("stack staging");
    const cc = yamlDocuments(c.initYaml).find((d) => d.kind === "ClusterConfiguration")!;
    const names = (x: { extraArgs?: { name: string }[] }) => (x.extraArgs ?? []).map((a) => a.name);
    const api = names(cc.apiServer);
    for (const f of [
      "authentication-config",
      "authorization-mode",
      "enable-admission-plugins",
      "profiling",
      "audit-policy-file",
      "audit-log-path",
      "audit-log-maxage",
      "audit-log-maxbackup",
      "audit-log-maxsize",
      "encryption-provider-config",
      "tls-min-version",
    ])
      expect(api).toContain(f);
    for (const f of [
      "kubelet-client-certificate",
      "kubelet-client-key",
      "etcd-cafile",
      "etcd-certfile",
      "etcd-keyfile",
      "service-account-key-file",
      "client-ca-file",
      "service-account-lookup",
      "tls-cert-file",
    ])
      expect(api).not.toContain(f);
    expect(names(cc.controllerManager)).toEqual(expect.arrayContaining(["profiling", "cloud-provider", "terminated-pod-gc-threshold"]));
    for (const f of ["use-service-account-credentials", "service-account-private-key-file", "root-ca-file", "bind-address"])
      expect(names(cc.controllerManager)).not.toContain(f);
    expect(names(cc.scheduler)).toEqual(["profiling"]);
    expect(cc.etcd.local.extraArgs).toBeUndefined();
  });
});
