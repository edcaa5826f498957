/**
 * `kubeadm config validate` (the real kubeadm of the manifest's version) judges every kubeadm document
 * the library renders: the three stacks, and a matrix over every tier, etcd topology × runtime, kubelet
 * serving certificates, with a GPU and an ingress pool. It decodes strictly (unknown or duplicate fields,
 * old API versions are errors), defaults and validates. The last block proves the validator bites.
 */
import { parseAllDocuments } from "yaml";
import {
  TEST_TOKEN,
  distinctDocuments,
  kubeadmDocuments,
  outputOf,
  validateYaml,
  yamlDocuments,
  type KubeadmDocument,
  type KubeadmResult,
} from "../helpers/kubeadm";
import { mapLimit, matrix, stackSpecs, type MatrixCase } from "./fixtures";

const stacks = stackSpecs().map(({ stack, spec }) => ({ stack, spec, docs: kubeadmDocuments(spec) }));
const cases: (MatrixCase & { docs: KubeadmDocument[] })[] = matrix().map((c) => ({ ...c, docs: kubeadmDocuments(c.spec) }));

/** One validate run per distinct document, shared by every test. */
const verdicts = new Map<string, KubeadmResult>();
beforeAll(async () => {
  const all = distinctDocuments([...stacks.flatMap((s) => s.docs), ...cases.flatMap((c) => c.docs)]);
  const results = await mapLimit(all, 6, (d) => validateYaml(d.yaml));
  all.forEach((d, i) => verdicts.set(d.yaml, results[i]!));
}, 120_000);

function expectValid(d: KubeadmDocument, where: string): void {
  const r = verdicts.get(d.yaml);
  if (!r) throw new Error(`${where} ${d.role} ${d.path} was not validated`);
  if (r.status !== 0) throw new Error(`kubeadm rejects ${where} ${d.role} ${d.path}:\n${outputOf(r)}\n--- document\n${d.yaml}`);
  expect(r.stdout.trim()).toBe("ok");
}

describe("the stacks' kubeadm documents", () => {
  test("three stacks, each with an init.yaml per control-plane node (any may win the init marker) and a join.yaml per control-plane node and per pool", () => {
    expect(stacks.map((s) => s.stack)).toEqual(["dev", "prod", "staging"]);
    for (const { spec, docs } of stacks) {
      expect(docs.filter((d) => d.kind === "init").map((d) => d.role)).toEqual(
        Array.from({ length: spec.controlPlane.count }, (_, i) => `control-plane-${i}`),
      );
      expect(docs.filter((d) => d.kind === "join").length).toBe(spec.controlPlane.count + spec.nodePools.length);
    }
  });

  test.each(stacks.map((s) => [s.stack, s] as const))("%s: kubeadm config validate accepts every document", (stack, { docs }) => {
    for (const d of docs) expectValid(d, stack);
  });
});

describe("the matrix: tier × etcd topology/runtime × kubelet serving certificates, GPU and ingress pools", () => {
  test("covers 3 tiers × 4 etcd layouts × 2 serving modes, stacked and external etcd, cluster-ca, GPU and ingress joins", () => {
    expect(cases.length).toBe(24);
    const clusters = cases.map((c) =>
      yamlDocuments(c.docs.find((d) => d.kind === "init")!.yaml).find((x) => x.kind === "ClusterConfiguration")!,
    );
    expect(clusters.filter((c) => "local" in c.etcd).length).toBe(6); // colocated + containerized only
    expect(clusters.filter((c) => "external" in c.etcd).length).toBe(18);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const caArg = (c: Record<string, any>) =>
      (c.apiServer.extraArgs as { name: string }[]).some((a) => a.name === "kubelet-certificate-authority");
    expect(clusters.filter(caArg).length).toBe(12);
    const joins = cases.flatMap((c) => c.docs.filter((d) => d.kind === "join").map((d) => d.yaml));
    expect(joins.some((j) => j.includes("key: nvidia.com/gpu"))).toBe(true);
    expect(joins.some((j) => j.includes("node.kubeadm-aws.io/role=ingress"))).toBe(true);
  });

  test.each(cases.map((c) => [c.label, c] as const))("%s: kubeadm config validate accepts every document", (label, { docs }) => {
    for (const d of docs) expectValid(d, label);
  });
});

describe("the validator bites", () => {
  const init = stacks.find((s) => s.stack === "dev")!.docs.find((d) => d.kind === "init")!.yaml;
  const join = stacks.find((s) => s.stack === "dev")!.docs.find((d) => d.role === "worker-general")!.yaml;
  const edit = (text: string, kind: string, f: (d: Record<string, unknown>) => void) =>
    parseAllDocuments(text)
      .map((doc) => {
        const js = doc.toJS() as Record<string, unknown>;
        if (js.kind === kind) f(js);
        return `---\n${JSON.stringify(js)}\n`;
      })
      .join("");

  test("an unknown field in ClusterConfiguration is rejected", async () => {
    const r = await validateYaml(edit(init, "ClusterConfiguration", (d) => (d.apiServerr = {})));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown field "apiServerr"/);
  });

  test("an unknown field in the KubeletConfiguration inside init.yaml is rejected", async () => {
    const r = await validateYaml(edit(init, "KubeletConfiguration", (d) => (d.readOnlyPorts = 0)));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown field "readOnlyPorts"/);
  });

  test("an unknown field in a worker's JoinConfiguration is rejected", async () => {
    const r = await validateYaml(
      edit(join, "JoinConfiguration", (d) => ((d.nodeRegistration as Record<string, unknown>).labels = { a: "b" })),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown field "nodeRegistration.labels"/);
  });

  test("kubeadm.k8s.io/v1beta3 is rejected", async () => {
    const r = await validateYaml(join.replace("apiVersion: kubeadm.k8s.io/v1beta4", "apiVersion: kubeadm.k8s.io/v1beta3"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/v1beta3/);
  });

  test("the artifacts' token placeholder is not a token (why the helper substitutes one)", async () => {
    const r = await validateYaml(init.split(TEST_TOKEN).join("<secret:bootstrapToken>"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bootstrap token .* was not of the form/);
  });
});
