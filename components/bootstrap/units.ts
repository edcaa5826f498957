/** systemd units and kernel settings a node installs, pure strings. */
import { FILES, UNITS } from "./paths";

/**
 * Runs the boot script once per boot (it exits at once on a bootstrapped node). The boot script comes
 * with the bundle, so on the first boot the unit fetches the bundle first (`--first-boot`: nothing once
 * the script is installed). No start timeout: the script has its own deadline (`bootBudgetSeconds`,
 * from its env), so systemd never kills a boot that is still within its attempts.
 */
export function bootstrapServiceUnit(role: string): string {
  return `[Unit]
Description=kubeadm-aws: configure and start this node (${role})
Wants=network-online.target
After=network-online.target containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=KUBEADM_AWS_ENV=${FILES.env}
ExecStartPre=${FILES.fetchScript} --first-boot
ExecStart=${FILES.bootScript}
TimeoutStartSec=infinity
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;
}

export function tokenSyncServiceUnit(): string {
  return `[Unit]
Description=kubeadm-aws: keep the current join token valid in the cluster
After=network-online.target ${UNITS.kubelet}
ConditionPathExists=${FILES.adminConf}

[Service]
Type=oneshot
Environment=KUBEADM_AWS_ENV=${FILES.env}
ExecStart=${FILES.tokenSyncScript}
`;
}

export function tokenSyncTimerUnit(): string {
  return `[Unit]
Description=kubeadm-aws: renew the join token hourly

[Timer]
OnBootSec=5min
OnUnitActiveSec=1h
RandomizedDelaySec=5min
Persistent=true

[Install]
WantedBy=timers.target
`;
}

/** Kernel settings the kubelet's `protectKernelDefaults: true` requires to be set already. */
export function kubeletSysctl(): string {
  return `# kubeadm-aws: the kubelet (protectKernelDefaults) needs these.
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
`;
}

/** Pod networking needs forwarding and bridged traffic through iptables. */
export function kubernetesNetSysctl(): string {
  return `# kubeadm-aws: pod networking.
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
`;
}

export function kubernetesModules(): string {
  return "overlay\nbr_netfilter\n";
}
