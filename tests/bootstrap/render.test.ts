/** Exact values of the kubeadm/kubelet documents, the label rule, and snapshots of every dev-stack file. */
import { parseAllDocuments } from "yaml";
import {
  bootBudgetSeconds,
  clusterConfigInput,
  clusterDnsAddress,
  kubeletLabelProblem,
  renderClusterConfiguration,
  renderJoinConfiguration,
  renderKubeletConfiguration,
  type ClusterConfigInput,
} from "../../components/bootstrap";
import { renderRoles, stackSpecs } from "./stack-roles";

const INPUT: ClusterConfigInput = {
  clusterName: "t1",
  kubernetesVersion: "1.36.3",
  etcdVersion: "3.6.6",
  corednsVersion: "1.14.2",
  apiName: "api.t1.example.internal",
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  etcd: { local: true },
};
const argMap = (a: { name: string; value: string }[] | undefined) => Object.fromEntries((a ?? []).map((x) => [x.name, x.value]));
const HASH = `sha256:${"ab".repeat(32)}`;

describe("ClusterConfiguration", () => {
  const c = renderClusterConfiguration(INPUT);

  test("stable endpoint, SANs, networks, version", () => {
    expect(c.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(c.controlPlaneEndpoint).toBe("api.t1.example.internal:6443");
    expect(c.apiServer!.certSANs).toEqual(["api.t1.example.internal"]);
    expect(c.networking).toEqual({ podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/12", dnsDomain: "cluster.local" });
    expect(c.kubernetesVersion).toBe("v1.36.3");
  });

  test("the manifest's versions reach kubeadm: Kubernetes, the stacked etcd image tag, the CoreDNS tag", () => {
    expect(c.kubernetesVersion).toBe("v1.36.3");
    expect(c.etcd).toEqual({ local: { dataDir: "/var/lib/etcd", imageTag: "3.6.6-0" } });
    expect(c.dns).toEqual({ imageTag: "v1.14.2" });
    for (const { spec } of stackSpecs()) {
      const cc = renderClusterConfiguration(clusterConfigInput(spec, spec.etcd.topology === "dedicated" ? ["https://etcd-0.x:2379"] : undefined));
      expect(cc.kubernetesVersion).toBe(`v${spec.versions.kubernetes}`);
      expect(cc.dns!.imageTag).toBe(`v${spec.versions.coredns}`);
      if (cc.etcd && "local" in cc.etcd) expect(cc.etcd.local!.imageTag).toBe(`${spec.versions.etcd}-0`);
    }
  });

  test("hardened API server", () => {
    const a = argMap(c.apiServer!.extraArgs);
    expect(a["profiling"]).toBe("false");
    expect(a["enable-admission-plugins"]).toBe("NodeRestriction");
    expect(a["audit-policy-file"]).toBe("/etc/kubernetes/apiserver/audit-policy.yaml");
    expect(a["audit-log-path"]).toBe("/var/log/kubernetes/audit/audit.log");
    expect(a["encryption-provider-config"]).toBe("/etc/kubernetes/apiserver/encryption-config.yaml");
    expect(a["authentication-config"]).toBe("/etc/kubernetes/apiserver/authentication-config.yaml");
    // anonymous access is configured in the authentication config; the flag would conflict with it.
    expect(a["anonymous-auth"]).toBeUndefined();
    expect(a["feature-gates"]).toBeUndefined();
    expect(c.apiServer!.extraVolumes!.map((v) => [v.hostPath, v.readOnly])).toEqual([["/etc/kubernetes/apiserver", true], ["/var/log/kubernetes/audit", false]]);
    expect(argMap(c.controllerManager!.extraArgs)).toMatchObject({ "cloud-provider": "external", profiling: "false" });
    expect(argMap(c.scheduler!.extraArgs)).toEqual({ profiling: "false" });
  });

  test("external etcd", () => {
    const e = renderClusterConfiguration({ ...INPUT, etcd: { external: { endpoints: ["https://etcd-0.t1:2379", "https://etcd-1.t1:2379"] } } }).etcd;
    expect(e).toEqual({
      external: {
        endpoints: ["https://etcd-0.t1:2379", "https://etcd-1.t1:2379"],
        caFile: "/etc/kubernetes/pki/etcd/ca.crt",
        certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
        keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
      },
    });
    expect(() => renderClusterConfiguration({ ...INPUT, etcd: { external: { endpoints: [] } } })).toThrow(/at least one endpoint/);
  });

  test("from the stacks: dedicated etcd only in prod, each stack's own API name", () => {
    for (const { stack, spec } of stackSpecs()) {
      const eps = spec.etcd.topology === "dedicated" ? ["https://e:2379"] : undefined;
      const cc = renderClusterConfiguration(clusterConfigInput(spec, eps));
      expect(cc.controlPlaneEndpoint).toBe(`api.${spec.name}.${spec.api.domain}:6443`);
      expect("external" in cc.etcd!).toBe(stack === "prod");
    }
  });
});

describe("KubeletConfiguration", () => {
  test("hardened", () => {
    const k = renderKubeletConfiguration({ serviceCidr: "10.96.0.0/12" });
    expect(k.apiVersion).toBe("kubelet.config.k8s.io/v1beta1");
    expect(k.authentication!.anonymous).toEqual({ enabled: false });
    expect(k.authentication!.webhook!.enabled).toBe(true);
    expect(k.authorization!.mode).toBe("Webhook");
    expect(k.readOnlyPort).toBe(0);
    expect(k.rotateCertificates).toBe(true);
    expect(k.serverTLSBootstrap).toBe(false);
    expect(k.protectKernelDefaults).toBe(true);
    expect(k.clusterDNS).toEqual(["10.96.0.10"]);
  });

  test("serving certificates: self-signed by default; cluster-ca makes kubelets ask the CA and the API server verify them", () => {
    expect(renderKubeletConfiguration({ serviceCidr: "10.96.0.0/12", servingCertificates: "cluster-ca" }).serverTLSBootstrap).toBe(true);
    const base = { clusterName: "c", kubernetesVersion: "1.36.3", etcdVersion: "3.6.8", corednsVersion: "1.14.2", apiName: "api.c.example.internal", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", etcd: { local: true } as const };
    const argNames = (cc: ReturnType<typeof renderClusterConfiguration>) => (cc.apiServer?.extraArgs ?? []).map((a) => a.name);
    expect(argNames(renderClusterConfiguration(base))).not.toContain("kubelet-certificate-authority");
    const strict = renderClusterConfiguration({ ...base, kubeletServingCertificates: "cluster-ca" });
    expect(strict.apiServer!.extraArgs).toContainEqual({ name: "kubelet-certificate-authority", value: "/etc/kubernetes/pki/ca.crt" });
  });

  test("cluster DNS is the 10th address of the service range", () => {
    expect(clusterDnsAddress("172.20.0.0/16")).toBe("172.20.0.10");
  });
});

describe("JoinConfiguration", () => {
  test("worker: pool labels and taints through nodeRegistration, CA pinned", () => {
    const j = renderJoinConfiguration({
      apiServerEndpoint: "api.t1.example.internal:6443", token: "abc123.0123456789abcdef", caCertHash: HASH,
      labels: { "node.kubeadm-aws.io/role": "ingress", "a.example.com/x": "1" },
      taints: [{ key: "node.kubeadm-aws.io/role", value: "ingress", effect: "NoSchedule" }],
    });
    expect(j.discovery.bootstrapToken).toEqual({ token: "abc123.0123456789abcdef", apiServerEndpoint: "api.t1.example.internal:6443", caCertHashes: [HASH] });
    expect(j.controlPlane).toBeUndefined();
    expect(j.nodeRegistration!.taints).toEqual([{ key: "node.kubeadm-aws.io/role", value: "ingress", effect: "NoSchedule" }]);
    expect(argMap(j.nodeRegistration!.kubeletExtraArgs)).toEqual({ "cloud-provider": "external", "node-labels": "a.example.com/x=1,node.kubeadm-aws.io/role=ingress" });
  });

  test("control plane: control-plane section and taint", () => {
    const j = renderJoinConfiguration({ apiServerEndpoint: "a:6443", token: "abc123.0123456789abcdef", caCertHash: HASH, controlPlane: true });
    expect(j.controlPlane).toEqual({ localAPIEndpoint: { bindPort: 6443 } });
    expect(j.nodeRegistration!.taints).toEqual([{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
  });

  test("a malformed CA hash is refused", () => {
    expect(() => renderJoinConfiguration({ apiServerEndpoint: "a:6443", token: "t", caCertHash: "sha256:xyz" })).toThrow(/caCertHash/);
  });

  test("labels the kubelet may not set are refused (node-role.kubernetes.io/ in particular)", () => {
    expect(() => renderJoinConfiguration({ apiServerEndpoint: "a:6443", token: "t", caCertHash: HASH, labels: { "node-role.kubernetes.io/worker": "" } })).toThrow(/NodeRestriction/);
    expect(kubeletLabelProblem("node-role.kubernetes.io/gpu")).toBeDefined();
    expect(kubeletLabelProblem("example.k8s.io/x")).toBeDefined();
    expect(kubeletLabelProblem("node.kubernetes.io/instance-type")).toBeUndefined();
    expect(kubeletLabelProblem("node.kubeadm-aws.io/class")).toBeUndefined();
    expect(kubeletLabelProblem("nvidia.com/gpu.present")).toBeUndefined();
  });

  test("no rendered file of any stack carries a node-role.kubernetes.io/ label", () => {
    for (const { spec } of stackSpecs()) {
      for (const { files } of renderRoles(spec)) {
        for (const f of files) expect(f.content).not.toMatch(/node-labels[^\n]*node-role\.kubernetes\.io/);
      }
    }
  });
});

describe("kubeadm files parse as the documents they claim to be", () => {
  test("prod control-plane-0 init.yaml: Init, Cluster, Kubelet, KubeProxy in that order", () => {
    const prod = stackSpecs().find((s) => s.stack === "prod")!.spec;
    const cp0 = renderRoles(prod).find((r) => r.role === "control-plane-0")!;
    const init = cp0.files.find((f) => f.path === "/etc/kubernetes/kubeadm/init.yaml")!;
    const kinds = parseAllDocuments(init.content, { version: "1.1" }).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration", "KubeProxyConfiguration"]);
    expect(init.sensitive).toBe(true);
  });

  test("every control-plane node carries the init and the join config (the init marker picks one to init); workers only join", () => {
    const staging = stackSpecs().find((s) => s.stack === "staging")!.spec;
    for (const { role, files } of renderRoles(staging).filter((r) => r.role.startsWith("control-plane-"))) {
      const paths = files.map((f) => f.path);
      expect(paths).toContain("/etc/kubernetes/kubeadm/init.yaml");
      expect(paths).toContain("/etc/kubernetes/kubeadm/join.yaml");
      const env = files.find((f) => f.path === "/etc/kubeadm-aws/bootstrap.env")!.content;
      const i = Number(role.split("-").pop());
      expect(env).toContain(`KUBEADM_AWS_MODE=${i === 0 ? "init" : "join"}\n`);
      expect(env).toContain(`KUBEADM_AWS_JOIN_DELAY=${i * 30}\n`);
    }
  });

  test("a worker's bundle is its join config only: no CA key, no PKI", () => {
    const dev = stackSpecs().find((s) => s.stack === "dev")!.spec;
    const w = renderRoles(dev).find((r) => r.role === "worker-general")!;
    expect(w.files.filter((f) => f.sensitive).map((f) => f.path)).toEqual(["/etc/kubernetes/kubeadm/join.yaml"]);
    expect(w.files.some((f) => f.path.includes("/pki/"))).toBe(false);
  });
});

describe("boot budgets", () => {
  const envOf = (files: { path: string; content: string }[]) =>
    Object.fromEntries(files.find((f) => f.path === "/etc/kubeadm-aws/bootstrap.env")!.content.trim().split("\n").map((l) => l.split("=") as [string, string]));
  test("a worker that cannot join gives up within about 2 h (then its group replaces it); a control-plane node waits out a long outage", () => {
    for (const { spec } of stackSpecs()) {
      for (const { role, files } of renderRoles(spec)) {
        const e = envOf(files);
        const seconds = bootBudgetSeconds({ joinDelaySeconds: Number(e.KUBEADM_AWS_JOIN_DELAY), maxAttempts: Number(e.KUBEADM_AWS_MAX_ATTEMPTS), apiWaitSeconds: Number(e.KUBEADM_AWS_API_WAIT_SECONDS) });
        if (role.startsWith("worker-")) expect([role, seconds <= 2.1 * 3600]).toEqual([role, true]);
        else expect([role, seconds >= 8 * 3600]).toEqual([role, true]);
      }
    }
  });
});

describe("snapshots of the dev stack's boot files", () => {
  const dev = stackSpecs().find((s) => s.stack === "dev")!.spec;
  for (const { role, files } of renderRoles(dev)) {
    for (const f of files) {
      test(`${role} ${f.path}`, () => {
        expect({ permissions: f.permissions, sensitive: f.sensitive, content: f.content }).toMatchSnapshot();
      });
    }
  }
});
