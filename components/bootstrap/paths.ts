/** Where the boot files live on a node. One place, so renderers, scripts and tests agree. */
export const PATHS = {
  /** kubeadm's certificatesDir. */
  pki: "/etc/kubernetes/pki",
  /** An etcd member's own folder (config, keys, member env; a containerized member's kubelet and static Pod). */
  etcd: "/etc/etcd",
  /** kubeadm's static Pod manifests. */
  manifests: "/etc/kubernetes/manifests",
  /** kubeadm configuration files written at boot. */
  kubeadmDir: "/etc/kubernetes/kubeadm",
  /** kube-apiserver configuration files (audit policy, encryption, authentication), mounted read-only. */
  apiserverDir: "/etc/kubernetes/apiserver",
  /** kube-apiserver audit log directory, mounted read-write. */
  auditLogDir: "/var/log/kubernetes/audit",
  /** Our bootstrap settings and the fetched join token. */
  bootstrapDir: "/etc/kubeadm-aws",
  /** Scripts. */
  sbin: "/usr/local/sbin",
  /** The bundle unpacker (python3: cloud-init already needs it on the image). */
  lib: "/usr/local/lib/kubeadm-aws",
  /** systemd units. */
  units: "/etc/systemd/system",
  /** The boot's durable state (survives reboots): instance id, init-marker progress, `bootstrapped`. */
  state: "/var/lib/kubeadm-aws",
} as const;

export const FILES = {
  env: `${PATHS.bootstrapDir}/bootstrap.env`,
  token: `${PATHS.bootstrapDir}/join-token`,
  initConfig: `${PATHS.kubeadmDir}/init.yaml`,
  joinConfig: `${PATHS.kubeadmDir}/join.yaml`,
  auditPolicy: `${PATHS.apiserverDir}/audit-policy.yaml`,
  encryptionConfig: `${PATHS.apiserverDir}/encryption-config.yaml`,
  authenticationConfig: `${PATHS.apiserverDir}/authentication-config.yaml`,
  fetchScript: `${PATHS.sbin}/kubeadm-aws-fetch-bundle`,
  bootScript: `${PATHS.sbin}/kubeadm-aws-boot`,
  tokenSyncScript: `${PATHS.sbin}/kubeadm-aws-token-sync`,
  /** The init marker's protocol (control plane; components/bootstrap/init-lock.ts). */
  initLockScript: `${PATHS.sbin}/kubeadm-aws-init-lock`,
  /** The certificate renewal (control plane; components/bootstrap/cert-renewal.ts). */
  certRenewScript: `${PATHS.sbin}/kubeadm-aws-cert-renew`,
  /** Lists kubeadm's certificates with their seconds left (python3; the renewal calls it). */
  certExpiry: `${PATHS.lib}/cert-expiry.py`,
  unpacker: `${PATHS.lib}/unpack.py`,
  /** The path prefixes the unpacker may write, one per line. */
  bundlePaths: `${PATHS.lib}/bundle-paths`,
  /** An etcd member's env file (every etcd script sources it; components/etcd/node-files.ts renders it). */
  etcdMemberEnv: `${PATHS.etcd}/member.env`,
  /** The shell helpers every node script sources (node/lib/lib.sh). */
  shellLib: `${PATHS.lib}/lib.sh`,
  /** kubeadm writes it once the kubelet joined: a node that has it is bootstrapped. */
  kubeletConf: "/etc/kubernetes/kubelet.conf",
  /** kubeadm's admin kubeconfig on control-plane nodes. */
  adminConf: "/etc/kubernetes/admin.conf",
  /** Written by the boot of a role whose boot action is not kubeadm (etcd members) once it succeeded. */
  bootstrapped: `${PATHS.state}/bootstrapped`,
  kubeletSysctl: "/etc/sysctl.d/90-kubelet.conf",
  k8sSysctl: "/etc/sysctl.d/91-kubernetes-net.conf",
  k8sModules: "/etc/modules-load.d/kubernetes.conf",
} as const;

/**
 * Every systemd unit name the library installs, enables or orders its units after: one place, so the renderers,
 * the boot (`enableUnits`) and the tests agree. A unit file the library installs is `${PATHS.units}/<name>`.
 */
export const UNITS = {
  /** The boot, on every node (components/bootstrap/units.ts). */
  bootstrap: "kubeadm-aws-bootstrap.service",
  /** The join token's sync and its hourly timer, on control-plane nodes (components/bootstrap/units.ts). */
  tokenSyncService: "kubeadm-aws-token-sync.service",
  tokenSyncTimer: "kubeadm-aws-token-sync.timer",
  /** The certificate renewal and its daily timer, on control-plane nodes (components/bootstrap/cert-renewal.ts). */
  certRenewService: "kubeadm-aws-cert-renew.service",
  certRenewTimer: "kubeadm-aws-cert-renew.timer",
  /** The etcd snapshot to S3 and its timer, on every node that backs etcd up (components/backup/scripts.ts). */
  etcdBackupService: "etcd-backup.service",
  etcdBackupTimer: "etcd-backup.timer",
  /** The kubelet, from the image (kubeadm's nodes and a containerized etcd member's standalone kubelet). */
  kubelet: "kubelet.service",
  /** containerd, from the image: the boot starts after it. */
  containerd: "containerd.service",
  /** An on-host etcd member (components/etcd/systemd.ts renders it). */
  etcd: "etcd.service",
} as const;

/** The kubeadm CRI socket (containerd from the image). */
export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";
