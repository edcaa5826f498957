/**
 * Containerized etcd, pure: the static pod manifest and, for dedicated members, the config of a
 * standalone kubelet (no API server) that runs it.
 */
import { CRI_SOCKET, PATHS, UNITS } from "../bootstrap/paths";
import { etcdImageTag } from "../bootstrap/kubeadm-etcd";
import { toYaml } from "../bootstrap/yaml";
import { DEFAULT_ETCD_PATHS, type EtcdPaths } from "./config";
import { DEFAULT_ETCD_PORTS, type EtcdPorts } from "./members";

/**
 * Where the standalone kubelet of a dedicated containerized member reads things: its config and static Pods under
 * /etc/etcd (they come with the member's bundle), the drop-in in the user data (the bundle writes no kubelet unit).
 */
export const STANDALONE_KUBELET = {
  config: `${PATHS.etcd}/kubelet.yaml`,
  staticPodPath: `${PATHS.etcd}/manifests`,
  dropIn: `${PATHS.units}/${UNITS.kubelet}.d/20-etcd-standalone.conf`,
} as const;

export interface EtcdPodInput {
  memberName: string;
  /** etcd version, `X.Y.Z`: the image is `registry.k8s.io/etcd:<version>-0`. */
  etcdVersion: string;
  /** @default DEFAULT_ETCD_PATHS */
  paths?: EtcdPaths;
  /** @default DEFAULT_ETCD_PORTS */
  ports?: EtcdPorts;
  /** Image repository. @default "registry.k8s.io/etcd" */
  image?: string;
}

/** The static pod object (plain data; tests validate it with kubernetes-models). */
export function etcdPod(input: EtcdPodInput): Record<string, unknown> {
  const paths = input.paths ?? DEFAULT_ETCD_PATHS;
  const ports = input.ports ?? DEFAULT_ETCD_PORTS;
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { host: "127.0.0.1", path, port: ports.metrics, scheme: "HTTP" },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    timeoutSeconds: 15,
    failureThreshold,
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "etcd",
      namespace: "kube-system",
      labels: { component: "etcd", tier: "control-plane", "etcd.kubeadm-aws.io/member": input.memberName },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      priority: 2000001000,
      securityContext: { seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "etcd",
          image: `${input.image ?? "registry.k8s.io/etcd"}:${etcdImageTag(input.etcdVersion)}`,
          imagePullPolicy: "IfNotPresent",
          command: ["etcd", `--config-file=${paths.configFile}`],
          resources: { requests: { cpu: "500m", memory: "512Mi" } },
          livenessProbe: probe("/health?exclude=NOSPACE&serializable=true", 8),
          startupProbe: probe("/health?serializable=false", 24),
          volumeMounts: [
            { name: "etcd-data", mountPath: paths.dataDir },
            { name: "etcd-pki", mountPath: paths.pkiDir, readOnly: true },
            { name: "etcd-config", mountPath: paths.configFile, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "etcd-data", hostPath: { path: paths.dataDir, type: "Directory" } },
        { name: "etcd-pki", hostPath: { path: paths.pkiDir, type: "Directory" } },
        { name: "etcd-config", hostPath: { path: paths.configFile, type: "File" } },
      ],
    },
  };
}

export function renderEtcdPod(input: EtcdPodInput): string {
  return toYaml(etcdPod(input));
}

/**
 * A kubelet with no API server: runs the static pods in `staticPodPath` only. It listens on
 * 127.0.0.1, has no read-only port, and authenticates nobody (anonymous and webhook off).
 */
export function standaloneKubeletConfig(): Record<string, unknown> {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    staticPodPath: STANDALONE_KUBELET.staticPodPath,
    address: "127.0.0.1",
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
    authorization: { mode: "AlwaysAllow" },
    cgroupDriver: "systemd",
    containerRuntimeEndpoint: CRI_SOCKET,
    rotateCertificates: false,
    serverTLSBootstrap: false,
  };
}

export function renderStandaloneKubeletConfig(): string {
  return toYaml(standaloneKubeletConfig());
}

/**
 * The drop-in that points the image's kubelet.service at the standalone config (no kubeconfig), and makes it
 * wait for the data dir's mount: after a reboot the kubelet (and so etcd's static Pod, whose data is a hostPath)
 * never starts on the root disk while the data volume is late.
 */
export function renderStandaloneKubeletDropIn(kubeletBinary = "/usr/bin/kubelet", dataDir = DEFAULT_ETCD_PATHS.dataDir): string {
  return [
    "[Unit]",
    `RequiresMountsFor=${dataDir}`,
    "",
    "[Service]",
    "ExecStart=",
    `ExecStart=${kubeletBinary} --config=${STANDALONE_KUBELET.config}`,
    "Restart=always",
    "RestartSec=5s",
    "",
  ].join("\n");
}
