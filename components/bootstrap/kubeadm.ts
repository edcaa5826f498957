/**
 * Pure renderers of the kubeadm v1beta4 and kubelet v1beta1 documents a node boots with.
 * Secrets (the join token) are plain string parameters: render once with placeholders for the
 * artifacts, once with the real values for the Secrets Manager bundle.
 */
import { apiHostPort, PORTS } from "../core/ports";
import { hostAddress, parseCidr } from "../core/cidr";
import { nodeLabelProblems } from "../core/labels";
import { kubeadmExternalEtcd, kubeadmLocalEtcd } from "./kubeadm-etcd";
import { minorOf } from "../versions/manifest";
import {
  KUBEADM_API_VERSION,
  type Arg,
  type ClusterConfiguration,
  type InitConfiguration,
  type JoinConfiguration,
  type KubeadmTaint,
  type NodeRegistrationOptions,
} from "./kubeadm-types";
import type { KubeletConfiguration, KubeProxyConfiguration } from "./kubelet-types";
import { CRI_SOCKET, FILES, PATHS } from "./paths";

/** Why the kubelet may not set a label on its own node (the one rule, components/core/labels.ts); undefined when it may. */

/** The group kubeadm's node bootstrap RBAC is bound to. */
export const BOOTSTRAP_TOKEN_GROUP = "system:bootstrappers:kubeadm:default-node-token";
export const CONTROL_PLANE_TAINT: KubeadmTaint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

/** etcd as the control plane sees it: stacked (kubeadm-managed local member) or external members. */
export type EtcdMode = { local: true } | { external: { endpoints: string[] } };

export interface ClusterConfigInput {
  /** Cluster name (kubeadm `clusterName`). Required. */
  clusterName: string;
  /** Kubernetes version, full `X.Y.Z`. Required. */
  kubernetesVersion: string;
  /** etcd version of the manifest, full `X.Y.Z`: stacked etcd runs `registry.k8s.io/etcd:<v>-0`. Required. */
  etcdVersion: string;
  /** CoreDNS version of the manifest, full `X.Y.Z` (without the `v`): kubeadm deploys `coredns:v<v>`. Required. */
  corednsVersion: string;
  /** The stable API DNS name, e.g. `api.dev.kubeadm-aws.internal`. Required. */
  apiName: string;
  /** More API certificate SANs (the API name is always one). @default [] */
  extraCertSANs?: string[];
  /** Pod CIDR. Required. */
  podCidr: string;
  /** Service CIDR. Required. */
  serviceCidr: string;
  /** Cluster DNS domain. @default "cluster.local" */
  dnsDomain?: string;
  /** Stacked or external etcd. Required. */
  etcd: EtcdMode;
  /** Days/backups/MiB of audit log kept on each control-plane node. @default { maxAgeDays: 30, maxBackups: 10, maxSizeMiB: 100 } */
  auditLog?: { maxAgeDays: number; maxBackups: number; maxSizeMiB: number };
  /** How kubelets get their serving certificates (see KubeletServingCertificates). @default "self-signed" */
  kubeletServingCertificates?: KubeletServingCertificates;
}

/**
 * `self-signed` (kubeadm's default): each kubelet signs its own serving certificate; `kubectl logs/exec`
 * work as soon as a node joins. `cluster-ca`: kubelets request serving certificates from the cluster CA
 * (`serverTLSBootstrap`) and the API server verifies them (`--kubelet-certificate-authority`); this needs a
 * CSR approver for `kubernetes.io/kubelet-serving` running in the cluster, or `kubectl logs/exec` fail.
 */
export type KubeletServingCertificates = "self-signed" | "cluster-ca";

/** `host:port` of the API: what kubeadm's `controlPlaneEndpoint` and joiners' discovery use. */
/** The join token's lifetime in the cluster unless a caller sets one (the control plane's token-sync timer renews it). */
export const DEFAULT_TOKEN_TTL = "24h0m0s";
/** The cluster's DNS domain unless a caller sets one. */
export const DEFAULT_DNS_DOMAIN = "cluster.local";

export function apiEndpoint(apiName: string): string {
  return apiHostPort(apiName);
}

/** The cluster DNS service address: the 10th address of the service range (kubeadm's convention). */
export function clusterDnsAddress(serviceCidr: string): string {
  const c = parseCidr(serviceCidr);
  if (!c) throw new Error(`invalid service CIDR ${serviceCidr}`);
  return hostAddress(c, 10);
}

const args = (o: Record<string, string>): Arg[] => Object.entries(o).map(([name, value]) => ({ name, value }));

/** The hardened kubeadm ClusterConfiguration. */
export function renderClusterConfiguration(input: ClusterConfigInput): ClusterConfiguration {
  const audit = input.auditLog ?? { maxAgeDays: 30, maxBackups: 10, maxSizeMiB: 100 };
  const minor = minorOf(input.kubernetesVersion);
  if (!minor) throw new Error(`kubernetesVersion must be X.Y.Z (got ${input.kubernetesVersion})`);
  const apiserverArgs: Record<string, string> = {
    "authentication-config": FILES.authenticationConfig,
    "authorization-mode": "Node,RBAC",
    "enable-admission-plugins": "NodeRestriction",
    profiling: "false",
    "audit-policy-file": FILES.auditPolicy,
    "audit-log-path": `${PATHS.auditLogDir}/audit.log`,
    "audit-log-maxage": String(audit.maxAgeDays),
    "audit-log-maxbackup": String(audit.maxBackups),
    "audit-log-maxsize": String(audit.maxSizeMiB),
    "encryption-provider-config": FILES.encryptionConfig,
    "tls-min-version": "VersionTLS12",
    // Projected service-account tokens expire when they say (1 h by default), not a year later (CIS 1.2.x).
    "service-account-extend-token-expiration": "false",
  };
  if (input.kubeletServingCertificates === "cluster-ca") apiserverArgs["kubelet-certificate-authority"] = `${PATHS.pki}/ca.crt`;
  // kubeadm's etcd block, from its one source (kubeadm-etcd.ts): an external block refuses an empty endpoint list.
  const etcd: ClusterConfiguration["etcd"] =
    "external" in input.etcd ? kubeadmExternalEtcd(input.etcd.external.endpoints) : kubeadmLocalEtcd(input.etcdVersion);
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "ClusterConfiguration",
    clusterName: input.clusterName,
    kubernetesVersion: `v${input.kubernetesVersion}`,
    controlPlaneEndpoint: apiEndpoint(input.apiName),
    certificatesDir: PATHS.pki,
    encryptionAlgorithm: "RSA-2048",
    networking: { podSubnet: input.podCidr, serviceSubnet: input.serviceCidr, dnsDomain: input.dnsDomain ?? DEFAULT_DNS_DOMAIN },
    etcd,
    // The image pre-pulls exactly this tag (packer/): without it kubeadm would pick its own default.
    dns: { imageTag: `v${input.corednsVersion}` },
    apiServer: {
      certSANs: [...new Set([input.apiName, ...(input.extraCertSANs ?? [])])],
      extraArgs: args(apiserverArgs),
      extraVolumes: [
        {
          name: "apiserver-config",
          hostPath: PATHS.apiserverDir,
          mountPath: PATHS.apiserverDir,
          readOnly: true,
          pathType: "DirectoryOrCreate",
        },
        { name: "audit-log", hostPath: PATHS.auditLogDir, mountPath: PATHS.auditLogDir, readOnly: false, pathType: "DirectoryOrCreate" },
      ],
    },
    controllerManager: { extraArgs: args({ "cloud-provider": "external", profiling: "false", "terminated-pod-gc-threshold": "1000" }) },
    scheduler: { extraArgs: args({ profiling: "false" }) },
  };
}

/** Kubelet flags every node gets (the rest is in KubeletConfiguration). */
function kubeletArgs(labels: Record<string, string>): Arg[] {
  const out: Arg[] = [{ name: "cloud-provider", value: "external" }];
  const keys = Object.keys(labels).sort();
  if (keys.length > 0) out.push({ name: "node-labels", value: keys.map((k) => `${k}=${labels[k]}`).join(",") });
  return out;
}

function nodeRegistration(taints: KubeadmTaint[], labels: Record<string, string>): NodeRegistrationOptions {
  // The kubelet's own --node-labels rule (components/core/labels.ts): a label it would refuse is an error here, not a node that never joins.
  const problems = Object.entries(labels).flatMap(([key, value]) => nodeLabelProblems(key, value));
  if (problems.length > 0) throw new Error(`node labels: ${problems.join("; ")}`);
  return {
    criSocket: CRI_SOCKET,
    imagePullPolicy: "IfNotPresent",
    taints: taints.map((t) => ({ ...t })),
    kubeletExtraArgs: kubeletArgs(labels),
  };
}

export interface InitInput {
  /** The join token `[a-z0-9]{6}.[a-z0-9]{16}` (secret). Required. */
  token: string;
  /** The token's lifetime in the cluster (the control plane's token-sync timer renews it). @default "24h0m0s" */
  tokenTtl?: string;
}

export const TOKEN_DESCRIPTION = "kubeadm-aws join token (from Secrets Manager; renewed by kubeadm-aws-token-sync)";

/** InitConfiguration of the first control-plane node. */
export function renderInitConfiguration(input: InitInput): InitConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "InitConfiguration",
    bootstrapTokens: [
      {
        token: input.token,
        description: TOKEN_DESCRIPTION,
        ttl: input.tokenTtl ?? DEFAULT_TOKEN_TTL,
        usages: ["signing", "authentication"],
        groups: [BOOTSTRAP_TOKEN_GROUP],
      },
    ],
    nodeRegistration: nodeRegistration([CONTROL_PLANE_TAINT], {}),
    // No skipPhases: our control-plane nodes get the CAs from their bundle, and without `--upload-certs`
    // kubeadm's upload-certs phase does nothing (skipping it is refused: show-join-command depends on it).
  };
}

export interface JoinInput {
  /** `host:port` of the API (the stable name). Required. */
  apiServerEndpoint: string;
  /** The join token (secret). Required. */
  token: string;
  /** `sha256:<hex>` of the cluster CA's SubjectPublicKeyInfo. Required. */
  caCertHash: string;
  /** Join as a control-plane node (CAs already on disk from the bundle). @default false */
  controlPlane?: boolean;
  /** Node labels (kubelet `--node-labels`); none in restricted namespaces. @default {} */
  labels?: Record<string, string>;
  /** Node taints (a control-plane node always gets the control-plane taint). @default [] */
  taints?: KubeadmTaint[];
}

/** JoinConfiguration of a control-plane node or a worker. */
export function renderJoinConfiguration(input: JoinInput): JoinConfiguration {
  if (!/^sha256:[0-9a-f]{64}$/.test(input.caCertHash)) throw new Error(`caCertHash must be sha256:<64 hex> (got ${input.caCertHash})`);
  const taints = input.controlPlane ? [CONTROL_PLANE_TAINT, ...(input.taints ?? [])] : [...(input.taints ?? [])];
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    nodeRegistration: nodeRegistration(taints, input.labels ?? {}),
    caCertPath: `${PATHS.pki}/ca.crt`,
    discovery: { bootstrapToken: { token: input.token, apiServerEndpoint: input.apiServerEndpoint, caCertHashes: [input.caCertHash] } },
    ...(input.controlPlane ? { controlPlane: { localAPIEndpoint: { bindPort: PORTS.api } } } : {}),
    timeouts: { discovery: "5m0s", tlsBootstrap: "5m0s" },
  };
}

/** The cluster-wide KubeletConfiguration (kubeadm stores it in the kubelet-config ConfigMap; joiners read it there). */
export function renderKubeletConfiguration(input: {
  serviceCidr: string;
  dnsDomain?: string;
  servingCertificates?: KubeletServingCertificates;
}): KubeletConfiguration {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: "2m0s" },
      x509: { clientCAFile: `${PATHS.pki}/ca.crt` },
    },
    authorization: { mode: "Webhook", webhook: { cacheAuthorizedTTL: "5m0s", cacheUnauthorizedTTL: "30s" } },
    readOnlyPort: 0,
    rotateCertificates: true,
    serverTLSBootstrap: input.servingCertificates === "cluster-ca",
    cgroupDriver: "systemd",
    containerRuntimeEndpoint: CRI_SOCKET,
    clusterDNS: [clusterDnsAddress(input.serviceCidr)],
    clusterDomain: input.dnsDomain ?? DEFAULT_DNS_DOMAIN,
    protectKernelDefaults: true,
    makeIPTablesUtilChains: true,
    eventRecordQPS: 5,
    tlsMinVersion: "VersionTLS12",
    seccompDefault: true,
    streamingConnectionIdleTimeout: "5m0s",
    shutdownGracePeriod: "60s",
    shutdownGracePeriodCriticalPods: "20s",
    kubeReserved: { cpu: "100m", memory: "256Mi" },
    systemReserved: { cpu: "100m", memory: "256Mi" },
    evictionHard: { "memory.available": "200Mi", "nodefs.available": "10%", "imagefs.available": "15%" },
  };
}

/** kube-proxy (deployed by kubeadm): iptables mode, metrics on the node address only for Prometheus. */
export function renderKubeProxyConfiguration(input: { podCidr: string }): KubeProxyConfiguration {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    mode: "iptables",
    clusterCIDR: input.podCidr,
    metricsBindAddress: "127.0.0.1:10249",
  };
}
