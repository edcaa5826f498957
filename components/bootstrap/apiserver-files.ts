/**
 * kube-apiserver configuration files, pure: the audit policy, the EncryptionConfiguration for
 * Secrets at rest, and the AuthenticationConfiguration that turns anonymous access off except for
 * the health endpoints and what token discovery reads (ANONYMOUS_PATHS).
 */
import { toYaml } from "./yaml";

/** Audit policy (`audit.k8s.io/v1`): metadata for secrets and tokens, request bodies for changes, nothing for noise. */
export function renderAuditPolicy(): string {
  const policy = {
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
      // Noise: health checks, and watches by the control plane's own components.
      { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"] },
      {
        level: "None",
        users: ["system:kube-proxy"],
        verbs: ["watch"],
        resources: [{ group: "", resources: ["endpoints", "services", "services/status"] }],
      },
      { level: "None", userGroups: ["system:nodes"], verbs: ["get"], resources: [{ group: "", resources: ["nodes", "nodes/status"] }] },
      { level: "None", resources: [{ group: "", resources: ["events"] }] },
      { level: "None", resources: [{ group: "coordination.k8s.io", resources: ["leases"] }] },
      // Never log the content of secrets, configmaps or tokens.
      {
        level: "Metadata",
        resources: [
          { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
          { group: "authentication.k8s.io", resources: ["tokenreviews"] },
        ],
      },
      // Changes: who changed what, with the request.
      { level: "Request", verbs: ["create", "update", "patch", "delete", "deletecollection"] },
      // Everything else: metadata.
      { level: "Metadata" },
    ],
  };
  return toYaml(policy);
}

/**
 * EncryptionConfiguration (`apiserver.config.k8s.io/v1`) for Secrets: `secretbox` (XSalsa20-Poly1305)
 * with a 32-byte key, then `identity` so Secrets written before encryption stay readable.
 * `keyBase64` is a secret: render it with a placeholder for artifacts.
 */
export function renderEncryptionConfig(keyBase64: string, keyName = "key1"): string {
  return toYaml({
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "EncryptionConfiguration",
    resources: [
      {
        resources: ["secrets"],
        providers: [{ secretbox: { keys: [{ name: keyName, secret: keyBase64 }] } }, { identity: {} }],
      },
    ],
  });
}

/**
 * What an anonymous request may reach, and why. Everything else answers 401.
 * - `/livez`, `/readyz`, `/healthz`: the static pod's probes and the load balancer's health check.
 * - `cluster-info` in `kube-public`: kubeadm's token discovery reads it with no credentials (a joiner
 *   has only the token, which it uses to verify the ConfigMap's JWS signature, and the CA hash). Without
 *   it every `kubeadm join` fails at discovery with 401. The RBAC that lets `system:anonymous` `get` that
 *   one object is kubeadm's own (Role `kubeadm:bootstrap-signer-clusterinfo`).
 */
export const ANONYMOUS_PATHS = ["/livez", "/readyz", "/healthz", "/api/v1/namespaces/kube-public/configmaps/cluster-info"] as const;

/**
 * AuthenticationConfiguration (`apiserver.config.k8s.io/v1`, GA with structured authentication in
 * 1.34): anonymous requests are rejected everywhere except ANONYMOUS_PATHS.
 */
export function renderAuthenticationConfig(): string {
  return toYaml({
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AuthenticationConfiguration",
    anonymous: {
      enabled: true,
      conditions: ANONYMOUS_PATHS.map((path) => ({ path })),
    },
  });
}
