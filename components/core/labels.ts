/**
 * Node labels: the one rule for what a kubelet may put on its own Node, used by config validation
 * (components/config/rules.ts), the node-pool helpers (components/node-pools/presets.ts: `nodePool()`,
 * `poolProblems`) and the kubeadm renderer (components/bootstrap/kubeadm.ts: `nodeRegistration`).
 * Pure, and importing nothing, so every one of them can use it without a cycle.
 *
 * The facts are the kubelet's, as Kubernetes v1.36.3 ships them:
 * - `k8s.io/kubelet/pkg/apis/well_known_labels.go`: `kubeletLabels` (the keys below) and
 *   `kubeletLabelNamespaces` (`kubelet.kubernetes.io`, `node.kubernetes.io`); `IsKubeletLabel(key)` is
 *   true for one of those keys or a key whose namespace is an allowed one or a subdomain of it.
 * - `cmd/kubelet/app/options/options.go`, `ValidateKubeletFlags`: a `--node-labels` key whose
 *   namespace is `kubernetes.io`, `k8s.io` or a subdomain of either (`isKubernetesLabel`) must be
 *   `IsKubeletLabel`, or the kubelet refuses to start; every key must be a qualified name and every
 *   value a valid label value.
 * - `plugin/pkg/admission/noderestriction/admission.go`, `getForbiddenLabels`: the same rule on the
 *   Node object (and `node-restriction.kubernetes.io`, which the rule above already refuses).
 * A key's namespace is what comes before its first `/` (`strings.SplitN(key, "/", 2)`); a key
 * without one has none. tests/node-pools/kubelet-labels.test.ts asks the real kubelet.
 */

/** The kubelet's own table: the namespaces it restricts, and what it allows in them. */
export const KUBELET_LABEL_RULE = {
  /** A key in one of these namespaces, or a subdomain of one (`*.kubernetes.io`), is restricted. */
  restrictedNamespaces: ["kubernetes.io", "k8s.io"],
  /** Restricted keys the kubelet may still set: these namespaces and their subdomains (`kubeletLabelNamespaces`). */
  allowedNamespaces: ["kubelet.kubernetes.io", "node.kubernetes.io"],
  /** Restricted keys the kubelet may still set, exactly (`kubeletLabels`, sorted as the kubelet prints them). */
  allowedKeys: [
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "beta.kubernetes.io/os",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "kubernetes.io/arch",
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
  ],
} as const;

/** The label namespaces a kubelet may set keys in (`kubelet.kubernetes.io`, `node.kubernetes.io` and their subdomains). */
export const ALLOWED_LABEL_NAMESPACES: readonly string[] = KUBELET_LABEL_RULE.allowedNamespaces;

/** Where this project's own node labels live (never restricted). */
export const PROJECT_LABEL_PREFIX = "node.kubeadm-aws.io";

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The namespace of a label key: what comes before its first `/`, or "" when it has none. */
export function labelNamespace(key: string): string {
  const slash = key.indexOf("/");
  return slash >= 0 ? key.slice(0, slash) : "";
}

const inDomain = (namespace: string, domain: string) => namespace === domain || namespace.endsWith(`.${domain}`);

/** Whether a key is in a namespace the kubelet restricts (`kubernetes.io`, `k8s.io` or a subdomain). */
export function isRestrictedLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return KUBELET_LABEL_RULE.restrictedNamespaces.some((d) => inDomain(ns, d));
}

/** The kubelet's `IsKubeletLabel`: one of its allowed keys, or in an allowed namespace. */
export function isKubeletLabel(key: string): boolean {
  if ((KUBELET_LABEL_RULE.allowedKeys as readonly string[]).includes(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_RULE.allowedNamespaces.some((d) => inDomain(ns, d));
}

/**
 * Why a kubelet may not set this label on its own node (it refuses the `--node-labels` flag, and
 * NodeRestriction refuses the Node update), or undefined when it may. Only the namespace rule; the
 * key's syntax is `labelKeyProblem`'s.
 */
export function kubeletLabelProblem(key: string): string | undefined {
  if (!isRestrictedLabel(key) || isKubeletLabel(key)) return undefined;
  const instead =
    labelNamespace(key) === "node-role.kubernetes.io"
      ? `; for a role use ${PROJECT_LABEL_PREFIX}/role (node-role.kubernetes.io/ labels are set from the control plane, never by the kubelet)`
      : `; use a prefix of your own (e.g. ${PROJECT_LABEL_PREFIX}/${key.slice(key.indexOf("/") + 1)}) or apply the label from the control plane`;
  return (
    `"${key}" is in the kubelet-restricted namespaces (*.kubernetes.io, *.k8s.io), where the kubelet (--node-labels) and NodeRestriction ` +
    `allow only the namespaces ${KUBELET_LABEL_RULE.allowedNamespaces.map((n) => `${n}/`).join(" and ")} (and their subdomains) ` +
    `and the keys ${KUBELET_LABEL_RULE.allowedKeys.join(", ")}${instead}`
  );
}

/** Problems with a label or taint key (a qualified name, `prefix/name`), or undefined when valid. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `"${key}" is not a valid key: the name part must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric`;
  }
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `"${key}" is not a valid key: the prefix must be a DNS subdomain`;
  }
  return undefined;
}

/** Problems with a label value, or undefined when valid (empty is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || (value !== "" && !LABEL_NAME.test(value))) {
    return `value "${value}" must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric`;
  }
  return undefined;
}

/**
 * Everything the kubelet's `--node-labels` validation would refuse about one label: its key (syntax,
 * else the namespace rule) and its value. Empty when the kubelet accepts it.
 */
export function nodeLabelProblems(key: string, value: string): string[] {
  const out: string[] = [];
  const k = labelKeyProblem(key) ?? kubeletLabelProblem(key);
  if (k) out.push(k);
  const v = labelValueProblem(value);
  if (v) out.push(v);
  return out;
}
