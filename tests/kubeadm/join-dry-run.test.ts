/**
 * `kubeadm join --dry-run` (the real kubeadm, against its built-in fake cluster) on the control-plane
 * join configuration and every worker join configuration of each stack. It must succeed, and what it
 * would write must come from OUR JoinConfiguration: the kubelet flags file carries our kubeletExtraArgs,
 * the pool's labels (--node-labels) and taints (--register-with-taints); a control-plane join writes
 * the control-plane static Pods from the CAs we ship (no certificate key, no upload-certs).
 * (The cluster-wide configs a joiner reads, ClusterConfiguration and KubeletConfiguration, come from
 * kubeadm's fake ConfigMaps in a dry-run: init-dry-run.test.ts judges ours.)
 */
import { readFileSync } from "fs";
import * as path from "path";
import type { ClusterSpec } from "../../components/spec";
import {
  DRY_RUN_CA_HASH,
  DRY_RUN_TOKEN,
  distinctDocuments,
  joinDryRun,
  kubeadmDocuments,
  outputOf,
  removeDryRun,
  yamlDocuments,
  type JoinDryRunResult,
  type KubeadmDocument,
} from "../helpers/kubeadm";
import { mapLimit, stackSpecs } from "./fixtures";

type Case = { stack: string; spec: ClusterSpec; doc: KubeadmDocument; run?: JoinDryRunResult };
const cases: Case[] = stackSpecs().flatMap(({ stack, spec }) => {
  const joins = kubeadmDocuments(spec).filter((d) => d.kind === "join");
  // Control-plane joiners render one identical file; the highest index is a real joiner (control-plane-0's is for its replacement).
  const cp = joins.filter((d) => d.controlPlane);
  return [cp[cp.length - 1]!, ...distinctDocuments(joins.filter((d) => !d.controlPlane))].map((doc) => ({ stack, spec, doc }));
});

beforeAll(async () => {
  const runs = await mapLimit(cases, 3, (c) => joinDryRun(c.doc.yaml));
  cases.forEach((c, i) => (c.run = runs[i]));
}, 170_000);
afterAll(() => {
  for (const c of cases) removeDryRun(c.run);
});

function ok(c: Case): JoinDryRunResult {
  if (!c.run) throw new Error("dry-run did not run");
  if (c.run.status !== 0)
    throw new Error(`kubeadm join --dry-run failed for ${c.stack} ${c.doc.role}:\n${outputOf(c.run)}\n--- config\n${c.run.config}`);
  return c.run;
}

test("each stack is covered: one control-plane join and every pool's worker join", () => {
  for (const { stack, spec } of stackSpecs()) {
    const roles = cases.filter((c) => c.stack === stack).map((c) => c.doc.role);
    expect(roles).toEqual([`control-plane-${spec.controlPlane.count - 1}`, ...spec.nodePools.map((p) => `worker-${p.name}`)]);
  }
});

test("only the dry-run copy carries kubeadm's fake discovery token and CA hash; the rendered document keeps ours", () => {
  const c = cases[0]!;
  const given = yamlDocuments(ok(c).config).find((d) => d.kind === "JoinConfiguration")!;
  expect(given.discovery.bootstrapToken).toMatchObject({ token: DRY_RUN_TOKEN, caCertHashes: [DRY_RUN_CA_HASH] });
  expect(c.doc.yaml).not.toContain(DRY_RUN_TOKEN);
  expect(c.doc.yaml).not.toContain(DRY_RUN_CA_HASH);
  // everything else is our document, unchanged
  const ours = yamlDocuments(c.doc.yaml).find((d) => d.kind === "JoinConfiguration")!;
  delete ours.discovery.bootstrapToken.token;
  delete ours.discovery.bootstrapToken.caCertHashes;
  delete given.discovery.bootstrapToken.token;
  delete given.discovery.bootstrapToken.caCertHashes;
  expect(given).toEqual(ours);
});

describe.each(cases.map((c) => [`${c.stack} ${c.doc.role}`, c] as const))("%s", (_name, c) => {
  test("kubeadm join --dry-run succeeds and writes the kubelet flags file", () => {
    const r = ok(c);
    expect(r.stdout).toMatch(/This node has joined the cluster/);
    expect(r.files).toEqual(expect.arrayContaining(["kubeadm-flags.env", "bootstrap-kubelet.conf", "config.yaml"]));
  });

  test("the kubelet flags are our nodeRegistration: cloud provider, pool labels, pool taints", () => {
    const flags = ok(c).kubeletFlags!;
    expect(flags.get("cloud-provider")).toBe("external");
    if (c.doc.controlPlane) {
      // kubeadm taints a control-plane node through the API (mark-control-plane), not a kubelet flag; no pool labels.
      expect(flags.has("register-with-taints")).toBe(false);
      expect(flags.has("node-labels")).toBe(false);
      return;
    }
    const pool = c.spec.nodePools.find((p) => `worker-${p.name}` === c.doc.role)!;
    const labels = Object.keys(pool.labels)
      .sort()
      .map((k) => `${k}=${pool.labels[k]}`);
    expect(flags.get("node-labels")?.split(",") ?? []).toEqual(labels);
    const taints = pool.taints.map((t) => `${t.key}${t.value !== undefined ? `=${t.value}` : ""}:${t.effect}`);
    expect(flags.get("register-with-taints")?.split(",") ?? []).toEqual(taints);
  });

  test(
    c.doc.controlPlane ? "control plane: joins with our CAs and writes the control-plane static Pods" : "worker: no control-plane files",
    () => {
      const r = ok(c);
      if (c.doc.controlPlane) {
        expect(Object.keys(r.manifests).sort()).toEqual(["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]); // the fake cluster has stacked etcd
        expect(r.stdout).toMatch(/Running pre-flight checks before initializing the new control plane instance/);
        expect(r.stdout).toMatch(/a new control plane instance was created/);
        // (a dry-run writes fresh CAs into its own folder; the shared ones were checked in the root's certificatesDir)
        expect(readFileSync(path.join(r.root, "etc/kubernetes/pki/ca.crt"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
      } else {
        expect(r.manifests).toEqual({});
        expect(r.files).not.toContain("admin.conf");
      }
    },
  );
});

test("a control-plane join without the shared CAs on disk is refused (why the bundle ships them, and the helper places them)", async () => {
  const cp = cases.find((c) => c.doc.controlPlane)!;
  const r = await joinDryRun(cp.doc.yaml, { withCaFiles: false });
  removeDryRun(r);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/conditions for hosting a new control plane instance is not satisfied/);
  expect(r.stderr).toMatch(/ca\.crt/);
});
