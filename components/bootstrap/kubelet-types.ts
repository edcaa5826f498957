/**
 * `kubelet.config.k8s.io/v1beta1` KubeletConfiguration and `kubeproxy.config.k8s.io/v1alpha1`
 * KubeProxyConfiguration: the subsets this library writes, with the upstream field names.
 */

export interface KubeletConfiguration {
  apiVersion: "kubelet.config.k8s.io/v1beta1";
  kind: "KubeletConfiguration";
  authentication?: {
    anonymous?: { enabled: boolean };
    webhook?: { enabled: boolean; cacheTTL?: string };
    x509?: { clientCAFile?: string };
  };
  authorization?: {
    mode: "AlwaysAllow" | "Webhook";
    webhook?: { cacheAuthorizedTTL?: string; cacheUnauthorizedTTL?: string };
  };
  readOnlyPort?: number;
  rotateCertificates?: boolean;
  serverTLSBootstrap?: boolean;
  cgroupDriver?: "systemd" | "cgroupfs";
  containerRuntimeEndpoint?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  protectKernelDefaults?: boolean;
  makeIPTablesUtilChains?: boolean;
  eventRecordQPS?: number;
  tlsMinVersion?: "VersionTLS12" | "VersionTLS13";
  tlsCipherSuites?: string[];
  seccompDefault?: boolean;
  streamingConnectionIdleTimeout?: string;
  shutdownGracePeriod?: string;
  shutdownGracePeriodCriticalPods?: string;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
  serializeImagePulls?: boolean;
  featureGates?: Record<string, boolean>;
}

export interface KubeProxyConfiguration {
  apiVersion: "kubeproxy.config.k8s.io/v1alpha1";
  kind: "KubeProxyConfiguration";
  mode?: "iptables" | "ipvs" | "nftables";
  clusterCIDR?: string;
  metricsBindAddress?: string;
  bindAddress?: string;
}
