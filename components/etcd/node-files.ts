/**
 * The etcd scripts' side of a node, pure: where the member's files go, and the member env file every etcd
 * script sources (`/etc/etcd/member.env`, named to the scripts by `KUBEADM_AWS_ETCD_ENV`). The scripts are
 * real files (node/sbin/etcd-*.sh) installed as they are; each value and path they use is a line here,
 * rendered from its one TypeScript source (docs/etcd.md, "The scripts and the member env file").
 */
import { renderEnvFile, type EnvEntry } from "../bootstrap/env-file";
import type { NodeScript } from "../bootstrap/node-scripts";
import type { EtcdRuntime } from "../spec/spec";
import { FILES, PATHS, UNITS } from "../bootstrap/paths";
import { DEFAULT_ETCD_PATHS, metricsUrl, PKI_FILES, type EtcdPaths } from "./config";
import { DEFAULT_ETCD_PORTS, type EtcdPorts } from "./members";

/** A member's etcd files by absolute path (the backup's: BACKUP_FILES). */
export const ETCD_NODE_FILES = {
  /** The member env file (every etcd script sources it). */
  env: FILES.etcdMemberEnv,
  /** A dedicated member's boot action (the common boot runs it instead of kubeadm). */
  memberBoot: `${PATHS.sbin}/etcd-member-boot`,
  /** Starts the member and waits until it is healthy (colocated: the hook before kubeadm). */
  nodeStart: `${PATHS.sbin}/etcd-node-start`,
  /** On-host members. */
  etcdUnit: `${PATHS.units}/${UNITS.etcd}`,
  /** A dedicated member: sha256 of every plain file its bundle carries (in the user data). */
  bootFiles: `${PATHS.etcd}/boot-files.sha256`,
} as const;

export const ETCD_SCRIPTS = {
  memberBoot: { source: "sbin/etcd-member-boot.sh", path: ETCD_NODE_FILES.memberBoot },
  nodeStart: { source: "sbin/etcd-node-start.sh", path: ETCD_NODE_FILES.nodeStart },
} as const satisfies Record<string, NodeScript>;

/** The system user etcd runs as (owns the data dir and the keys). */
export const ETCD_USER = "etcd";
/** Attempts (lib.sh `retry`, about 15 minutes) of waiting for the member to be healthy, and for the data volume to appear. */
export const ETCD_START_ATTEMPTS = 50;
export const VOLUME_ATTEMPTS = 50;
/** The data volume's attachment device name (the EBS VolumeAttachment's `deviceName`). */
export const DATA_VOLUME_DEVICE = "/dev/sdf";
/** The data volume's filesystem. */
export const DATA_VOLUME_FS = { type: "ext4", label: "etcd-data" } as const;
/**
 * fstab options of the data volume. `nofail`: the machine boots without it; `x-systemd.device-timeout=infinity`:
 * its mount waits for the device however late it is, and the member's unit (RequiresMountsFor=) with it, so a
 * member never starts on the root disk.
 */
export const DATA_VOLUME_MOUNT_OPTIONS = "defaults,noatime,nofail,x-systemd.device-timeout=infinity";

/** The member's TLS files in its pki dir, with their modes (contents from the certificates; delivered in the bundle). */
export function memberPkiPaths(
  paths: EtcdPaths = DEFAULT_ETCD_PATHS,
): Record<keyof typeof PKI_FILES, { path: string; permissions: string }> {
  const at = (f: string, permissions: string) => ({ path: `${paths.pkiDir}/${f}`, permissions });
  return {
    ca: at(PKI_FILES.ca, "0644"),
    serverCert: at(PKI_FILES.serverCert, "0644"),
    serverKey: at(PKI_FILES.serverKey, "0600"),
    peerCert: at(PKI_FILES.peerCert, "0644"),
    peerKey: at(PKI_FILES.peerKey, "0600"),
  };
}

/** The unit that runs the member: etcd.service on the host, or the standalone kubelet with etcd's static Pod. */
export function memberUnit(runtime: EtcdRuntime): string {
  return runtime === "on-host" ? UNITS.etcd : UNITS.kubelet;
}

export interface MemberEnvInput {
  /** Member name, e.g. `etcd-0`, `control-plane-1`. Required. */
  memberName: string;
  /** What runs it. Required. */
  runtime: EtcdRuntime;
  /** @default DEFAULT_ETCD_PATHS */
  paths?: EtcdPaths;
  /** @default DEFAULT_ETCD_PORTS */
  ports?: EtcdPorts;
}

/** What `etcd-node-start` reads (and `etcd-restore`: name, data dir, user, unit). */
export function memberEnv(input: MemberEnvInput): EnvEntry[] {
  const paths = input.paths ?? DEFAULT_ETCD_PATHS;
  return [
    ["KUBEADM_AWS_ETCD_DATA_DIR", paths.dataDir],
    ["KUBEADM_AWS_ETCD_PKI_DIR", paths.pkiDir],
    ["KUBEADM_AWS_ETCD_USER", ETCD_USER],
    ["KUBEADM_AWS_ETCD_UNIT", memberUnit(input.runtime)],
    ["KUBEADM_AWS_ETCD_HEALTH_URL", `${metricsUrl(input.ports ?? DEFAULT_ETCD_PORTS)}/health`],
    ["KUBEADM_AWS_ETCD_START_ATTEMPTS", ETCD_START_ATTEMPTS],
  ];
}

/** The devices a data volume may appear as: its NVMe name (Nitro), then the attachment's `xvd` and `sd` names. */
export function volumeDevices(volumeId: string, deviceName: string = DATA_VOLUME_DEVICE): string[] {
  return [
    `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace(/-/g, "")}`,
    deviceName.replace(/^\/dev\/sd/, "/dev/xvd"),
    deviceName,
  ];
}

/** What `etcd-member-boot` reads besides `memberEnv`: the data volume, the fstab line, the next step. */
export function volumeEnv(volumeId: string): EnvEntry[] {
  return [
    ["KUBEADM_AWS_ETCD_VOLUME_ID", volumeId],
    ["KUBEADM_AWS_ETCD_VOLUME_DEVICES", volumeDevices(volumeId).join(",")],
    ["KUBEADM_AWS_ETCD_VOLUME_ATTEMPTS", VOLUME_ATTEMPTS],
    ["KUBEADM_AWS_ETCD_FS_TYPE", DATA_VOLUME_FS.type],
    ["KUBEADM_AWS_ETCD_FS_LABEL", DATA_VOLUME_FS.label],
    ["KUBEADM_AWS_ETCD_MOUNT_OPTIONS", DATA_VOLUME_MOUNT_OPTIONS],
    ["KUBEADM_AWS_ETCD_FSTAB", "/etc/fstab"],
    ["KUBEADM_AWS_ETCD_BOOT_FILES", ETCD_NODE_FILES.bootFiles],
    ["KUBEADM_AWS_ETCD_NODE_START", ETCD_NODE_FILES.nodeStart],
  ];
}

/**
 * The member env file: the member's name, then the given sections (`memberEnv`, `volumeEnv`, `backupEnv`,
 * `restoreEnv`), checked by `renderEnvFile` (no value needs quoting, no key twice).
 */
export function renderMemberEnv(memberName: string, ...sections: EnvEntry[][]): string {
  const body = renderEnvFile(`member env of ${memberName}`, [["KUBEADM_AWS_ETCD_MEMBER", memberName], ...sections.flat()]);
  return `# kubeadm-aws: etcd member ${memberName} (the etcd scripts' settings; docs/etcd.md, "The scripts and the member env file").\n${body}`;
}
