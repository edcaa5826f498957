/**
 * kubeadm `kubeadm.k8s.io/v1beta4` configuration types: the subset this library writes, with the
 * upstream field names and shapes (v1beta4 `extraArgs` is a list of `{ name, value }`), so a
 * misspelled or unknown field does not compile. Reference: k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4.
 */

export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";

/** v1beta4 command-line argument (ordered, may repeat). */
export interface Arg {
  name: string;
  value: string;
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface HostPathMount {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly?: boolean;
  pathType?: "" | "DirectoryOrCreate" | "Directory" | "FileOrCreate" | "File" | "Socket" | "CharDevice" | "BlockDevice";
}

export interface KubeadmTaint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface NodeRegistrationOptions {
  name?: string;
  criSocket?: string;
  /** `[]` means no taints (kubeadm otherwise taints control-plane nodes). */
  taints?: KubeadmTaint[];
  kubeletExtraArgs?: Arg[];
  ignorePreflightErrors?: string[];
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  imagePullSerial?: boolean;
}

export interface APIEndpoint {
  advertiseAddress?: string;
  bindPort?: number;
}

export interface BootstrapToken {
  token: string;
  description?: string;
  /** Duration, e.g. `24h0m0s`. */
  ttl?: string;
  usages?: ("signing" | "authentication")[];
  groups?: string[];
}

export interface Timeouts {
  controlPlaneComponentHealthCheck?: string;
  kubeletHealthCheck?: string;
  kubernetesAPICall?: string;
  etcdAPICall?: string;
  tlsBootstrap?: string;
  discovery?: string;
  upgradeManifests?: string;
}

export interface Patches {
  directory?: string;
}

export interface InitConfiguration {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: "InitConfiguration";
  bootstrapTokens?: BootstrapToken[];
  nodeRegistration?: NodeRegistrationOptions;
  localAPIEndpoint?: APIEndpoint;
  certificateKey?: string;
  skipPhases?: string[];
  patches?: Patches;
  timeouts?: Timeouts;
}

export interface ControlPlaneComponent {
  extraArgs?: Arg[];
  extraVolumes?: HostPathMount[];
  extraEnvs?: EnvVar[];
}

export interface APIServer extends ControlPlaneComponent {
  certSANs?: string[];
}

export interface LocalEtcd {
  imageRepository?: string;
  imageTag?: string;
  dataDir?: string;
  extraArgs?: Arg[];
  extraEnvs?: EnvVar[];
  serverCertSANs?: string[];
  peerCertSANs?: string[];
}

export interface ExternalEtcd {
  endpoints: string[];
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Exactly one of `local` and `external`. */
export type Etcd = { local: LocalEtcd; external?: never } | { external: ExternalEtcd; local?: never };

export interface Networking {
  serviceSubnet?: string;
  podSubnet?: string;
  dnsDomain?: string;
}

export type EncryptionAlgorithm = "ECDSA-P256" | "ECDSA-P384" | "RSA-2048" | "RSA-3072" | "RSA-4096";

export interface ClusterConfiguration {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: "ClusterConfiguration";
  etcd?: Etcd;
  networking?: Networking;
  kubernetesVersion?: string;
  controlPlaneEndpoint?: string;
  apiServer?: APIServer;
  controllerManager?: ControlPlaneComponent;
  scheduler?: ControlPlaneComponent;
  dns?: { disabled?: boolean; imageRepository?: string; imageTag?: string };
  proxy?: { disabled?: boolean };
  certificatesDir?: string;
  imageRepository?: string;
  featureGates?: Record<string, boolean>;
  clusterName?: string;
  encryptionAlgorithm?: EncryptionAlgorithm;
  certificateValidityPeriod?: string;
  caCertificateValidityPeriod?: string;
}

export interface BootstrapTokenDiscovery {
  token: string;
  apiServerEndpoint: string;
  caCertHashes: string[];
  unsafeSkipCAVerification?: boolean;
}

export interface Discovery {
  bootstrapToken?: BootstrapTokenDiscovery;
  file?: { kubeConfigPath: string };
  tlsBootstrapToken?: string;
}

export interface JoinControlPlane {
  localAPIEndpoint?: APIEndpoint;
  certificateKey?: string;
}

export interface JoinConfiguration {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: "JoinConfiguration";
  dryRun?: boolean;
  nodeRegistration?: NodeRegistrationOptions;
  caCertPath?: string;
  discovery: Discovery;
  controlPlane?: JoinControlPlane;
  skipPhases?: string[];
  patches?: Patches;
  timeouts?: Timeouts;
}
