/** The bastion's cloud-init (pure): sshd hardening only; the image already carries everything else. */
import { checkUserDataSize } from "../bootstrap/files";
import { toYaml } from "../bootstrap/yaml";

/** The sshd drop-in the bastion boots with. */
export const BASTION_SSHD_CONFIG = [
  "# Managed by pulumi-kubeadm-aws: the bastion is a jump host only.",
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  "PermitRootLogin no",
  "X11Forwarding no",
  "AllowAgentForwarding no",
  "AllowTcpForwarding yes",
  "PermitTunnel no",
  "",
].join("\n");

/** `#cloud-config` for the bastion. */
export function bastionCloudConfig(): string {
  const doc = {
    ssh_pwauth: false,
    disable_root: true,
    package_update: false,
    package_upgrade: false,
    write_files: [
      { path: "/etc/ssh/sshd_config.d/60-bastion.conf", owner: "root:root", permissions: "0644", content: BASTION_SSHD_CONFIG },
    ],
    runcmd: [["systemctl", "restart", "ssh"]],
  };
  return checkUserDataSize("bastion", `#cloud-config\n${toYaml(doc)}`);
}
