/** Label keys for property tests of the kubelet's label rule (labels.test.ts, kubelet-labels.test.ts). */
import fc from "fast-check";
import { KUBELET_LABEL_RULE } from "../../components/core/labels";

const DOMAINS = [
  "kubernetes.io",
  "k8s.io",
  "node.kubernetes.io",
  "kubelet.kubernetes.io",
  "beta.kubernetes.io",
  "topology.kubernetes.io",
  "failure-domain.beta.kubernetes.io",
  "node-role.kubernetes.io",
  "node-restriction.kubernetes.io",
  "example.com",
  "kubeadm-aws.io",
  "nvidia.com",
  "kubernetes.io.example.com",
  "notkubernetes.io",
  "xk8s.io",
];
const NAMES = ["hostname", "arch", "os", "instance-type", "zone", "region", "x", "foo", "role", "gpu.present"];
/** Label keys around the rule's edges: well-known names under (sub)domains of the restricted ones, and arbitrary text. */
export const labelKeys = fc.oneof(
  fc
    .record({
      sub: fc.option(fc.constantFrom("a", "node", "kubelet", "x.node", "team", "beta", "k8s"), { nil: undefined }),
      domain: fc.constantFrom(...DOMAINS),
      name: fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,8}[a-z0-9])?$/)),
    })
    .map(({ sub, domain, name }) => `${sub ? `${sub}.` : ""}${domain}/${name}`),
  fc.constantFrom(...KUBELET_LABEL_RULE.allowedKeys),
  fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,10}[a-zA-Z0-9])?$/),
  fc.string({ maxLength: 24 }).filter((k) => !["__proto__", "constructor", "prototype"].includes(k)),
);

/** Only keys that are qualified names (one `/` at most, DNS-subdomain prefix): the kubelet then judges the namespace alone. */
export const qualifiedLabelKeys = fc.oneof(
  fc
    .record({
      sub: fc.option(fc.constantFrom("a", "node", "kubelet", "x.node", "team", "beta", "k8s"), { nil: undefined }),
      domain: fc.constantFrom(...DOMAINS),
      name: fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,8}[a-z0-9])?$/)),
    })
    .map(({ sub, domain, name }) => `${sub ? `${sub}.` : ""}${domain}/${name}`),
  fc.stringMatching(
    /^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\.(kubernetes\.io|k8s\.io|node\.kubernetes\.io|kubelet\.kubernetes\.io))?\/[a-z0-9]([a-z0-9._-]{0,6}[a-z0-9])?$/,
  ),
);
