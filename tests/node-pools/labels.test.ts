/**
 * The kubelet's label restriction is one rule (components/core/labels.ts), and the three paths a
 * label takes agree on it: stack config validation, the nodePool() helper (and so a NodePool), and
 * the kubeadm renderer (JoinConfiguration's --node-labels). The facts are the kubelet's own
 * (k8s.io/kubelet/pkg/apis/well_known_labels.go at v0.36.3); kubelet-labels.test.ts asks the real
 * kubelet binary the same questions.
 */
import fc from "fast-check";
import { renderJoinConfiguration } from "../../components/bootstrap/kubeadm";
import { validateClusterConfig } from "../../components/config";
import { KUBELET_LABEL_RULE, kubeletLabelProblem, labelKeyProblem } from "../../components/core/labels";
import { nodePool } from "../../components/node-pools";
import { labelKeys } from "./label-fixtures";

const HASH = `sha256:${"ab".repeat(32)}`;

/** Problems stack config validation reports for one pool label (none: the label is accepted). */
function configProblems(key: string, value = "v"): string[] {
  const config = {
    name: "demo",
    tier: "dev",
    region: "eu-west-1",
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    api: { allowedCidrs: ["203.0.113.0/24"] },
    nodePools: [{ name: "general", preset: "general", minSize: 1, maxSize: 3, labels: { [key]: value } }],
  };
  const issues = validateClusterConfig(config);
  const at = `cluster.nodePools[0].labels[${JSON.stringify(key)}]`;
  expect(issues.filter((i) => i.path !== at)).toEqual([]);
  return issues.map((i) => i.message);
}

/** The error nodePool() throws for one label, or undefined. */
function helperError(key: string, value = "v"): string | undefined {
  try {
    nodePool("general", "general", { minSize: 1, maxSize: 3, labels: { [key]: value } });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The error the kubeadm renderer throws for one join label, or undefined. */
function rendererError(key: string, value = "v"): string | undefined {
  try {
    renderJoinConfiguration({
      apiServerEndpoint: "api.demo.example.internal:6443",
      token: "abc123.0123456789abcdef",
      caCertHash: HASH,
      labels: { [key]: value },
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The three paths' verdicts: true where the label is refused. */
const verdicts = (key: string, value = "v") => ({
  config: configProblems(key, value).length > 0,
  nodePool: helperError(key, value) !== undefined,
  renderer: rendererError(key, value) !== undefined,
});

describe("named cases: all three paths give the kubelet's answer", () => {
  test.each([
    // The former disagreement: config accepted it and the renderer refused it. The kubelet allows it
    // (v1.LabelInstanceType is in kubeletLabels), so now all three accept it.
    ["beta.kubernetes.io/instance-type", false],
    ["beta.kubernetes.io/os", false],
    ["failure-domain.beta.kubernetes.io/zone", false],
    ["node.kubernetes.io/instance-type", false],
    ["node.kubernetes.io/foo", false],
    ["pool.node.kubernetes.io/foo", false],
    ["kubelet.kubernetes.io/x", false],
    ["example.com/x", false],
    ["node.kubeadm-aws.io/class", false],
    ["team", false],
    ["node-role.kubernetes.io/x", true],
    ["node-restriction.kubernetes.io/x", true],
    ["team.kubernetes.io/x", true],
    ["kubernetes.io/role", true],
    ["example.k8s.io/x", true],
    ["beta.kubernetes.io/zone", true],
  ])("%s refused: %s", (key, refused) => {
    expect(verdicts(key)).toEqual({ config: refused, nodePool: refused, renderer: refused });
    expect(kubeletLabelProblem(key) !== undefined).toBe(refused);
  });

  test("the messages name the config path and what is allowed", () => {
    const [message] = configProblems("node-role.kubernetes.io/x");
    expect(message).toContain(`"node-role.kubernetes.io/x" is in the kubelet-restricted namespaces (*.kubernetes.io, *.k8s.io)`);
    for (const allowed of [...KUBELET_LABEL_RULE.allowedNamespaces.map((n) => `${n}/`), ...KUBELET_LABEL_RULE.allowedKeys])
      expect(message).toContain(allowed);
    expect(message).toContain("for a role use node.kubeadm-aws.io/role");
    expect(helperError("node-role.kubernetes.io/x")).toBe(
      `nodePool("general", "general", ...): node pool general: labels["node-role.kubernetes.io/x"]: ${message}`,
    );
    expect(rendererError("node-role.kubernetes.io/x")).toBe(`node labels: ${message}`);
    expect(configProblems("team.kubernetes.io/x")[0]).toContain("use a prefix of your own (e.g. node.kubeadm-aws.io/x)");
  });

  test("label values: the same rule on the three paths", () => {
    expect(verdicts("example.com/x", "")).toEqual({ config: false, nodePool: false, renderer: false });
    expect(verdicts("example.com/x", "a,b=c")).toEqual({ config: true, nodePool: true, renderer: true });
    expect(verdicts("example.com/x", "x".repeat(64))).toEqual({ config: true, nodePool: true, renderer: true });
  });
});

/** The kubelet's rule transcribed from its Go source (well_known_labels.go, options.go), as the test's oracle. */
function kubeletRefuses(key: string): boolean {
  const parts = key.split("/");
  const ns = parts.length >= 2 ? parts[0]! : "";
  const isKubernetesLabel = ns === "kubernetes.io" || ns.endsWith(".kubernetes.io") || ns === "k8s.io" || ns.endsWith(".k8s.io");
  const kubeletLabels = new Set([
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
  ]);
  const isKubeletLabel =
    kubeletLabels.has(key) || ["kubelet.kubernetes.io", "node.kubernetes.io"].some((a) => ns === a || ns.endsWith(`.${a}`));
  return isKubernetesLabel && !isKubeletLabel;
}

test("property: for random keys, config validation, nodePool() and the renderer agree, and agree with the kubelet's Go rule", () => {
  fc.assert(
    fc.property(labelKeys, (key) => {
      const refused = labelKeyProblem(key) !== undefined || kubeletRefuses(key);
      expect(verdicts(key)).toEqual({ config: refused, nodePool: refused, renderer: refused });
    }),
    { numRuns: 400 },
  );
});
