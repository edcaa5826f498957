/**
 * What a control-plane node runs for its colocated etcd, pure: for on-host etcd the member's config,
 * systemd unit, start hook, backup and restore; for kubeadm's stacked etcd the backup only.
 * The Cluster delivers these files through each node's bootstrap bundle (components/cluster/bootstrap.ts).
 */
import { renderBackupScript, renderBackupService, renderBackupTimer, renderRestoreScript } from "../backup/scripts";
import { MEMBER_FILES } from "./boot";
import { DEFAULT_ETCD_PATHS, PKI_FILES, renderEtcdConfig, type EtcdPaths } from "./config";
import { DEFAULT_ETCD_PORTS, initialCluster, type EtcdMember } from "./members";
import { renderEtcdUnit } from "./systemd";

/** kubeadm's stacked etcd: where its certificates and static pod live on a control-plane node. */
export const KUBEADM_ETCD = {
  dataDir: "/var/lib/etcd",
  caFile: "/etc/kubernetes/pki/etcd/ca.crt",
  healthcheckCert: "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
  healthcheckKey: "/etc/kubernetes/pki/etcd/healthcheck-client.key",
  manifest: "/etc/kubernetes/manifests/etcd.yaml",
  /** kubeadm's etcd listens on the node address and on loopback; the backup uses loopback (the node address is AWS's choice). */
  localEndpoint: `https://127.0.0.1:${DEFAULT_ETCD_PORTS.client}`,
} as const;

/** The hook the control-plane boot runs before kubeadm on a colocated on-host member. */
export const NODE_START_SCRIPT = "/usr/local/sbin/etcd-node-start";
/** The unit the control-plane boot enables once kubeadm succeeded (every colocated layout). */
export const BACKUP_TIMER_UNIT = "etcd-backup.timer";

/** A file with its mode, by absolute path. */
export interface EtcdNodeFile {
  path: string;
  content: string;
  permissions: string;
}

export interface NodeStartInput {
  memberName: string;
  /** @default DEFAULT_ETCD_PATHS */
  paths?: EtcdPaths;
  /** @default "etcd" */
  user?: string;
  /** Seconds to wait for the member to be active (it is only once a quorum of members runs). @default 900 */
  waitSeconds?: number;
}

const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

/**
 * `etcd-node-start`: idempotent; creates the etcd user, hands it the data dir and keys (written by
 * the bundle as root), starts etcd.service and waits until it is active (Type=notify: the member
 * joined a quorum). Exits non-zero on timeout, so the boot retries before kubeadm runs.
 */
export function renderNodeStartScript(input: NodeStartInput): string {
  const paths = input.paths ?? DEFAULT_ETCD_PATHS;
  return `#!/bin/bash
# Start colocated etcd member ${input.memberName} before kubeadm (rendered by pulumi-kubeadm-aws).
set -euo pipefail
MEMBER=${q(input.memberName)}
DATA_DIR=${q(paths.dataDir)}
PKI_DIR=${q(paths.pkiDir)}
ETCD_USER=${q(input.user ?? "etcd")}
WAIT_SECONDS=${input.waitSeconds ?? 900}

if ! id "$ETCD_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$ETCD_USER"
fi
mkdir -p "$DATA_DIR"
chown "$ETCD_USER:$ETCD_USER" "$DATA_DIR"
chmod 700 "$DATA_DIR"
chown -R "$ETCD_USER:$ETCD_USER" "$PKI_DIR"
chmod 700 "$PKI_DIR"

systemctl daemon-reload
systemctl enable etcd.service
# Not blocking: the member becomes active only once a quorum of control-plane nodes runs etcd.
systemctl start --no-block etcd.service
waited=0
until systemctl is-active --quiet etcd.service; do
  if [ "$waited" -ge "$WAIT_SECONDS" ]; then
    echo "etcd-node-start: $MEMBER not active after $waited s (waiting for a quorum of members?)" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done
echo "etcd-node-start: $MEMBER is active"
`;
}

export interface ColocatedNodeInput {
  cluster: string;
  region: string;
  /** This control-plane node as an etcd member. */
  member: EtcdMember;
  /** Every control-plane member, in node order. */
  members: EtcdMember[];
  /** Snapshot bucket name. */
  bucket: string;
  intervalMinutes: number;
  /** The etcd binary in the node image. @default /usr/local/bin/etcd */
  etcdBinary?: string;
}

/** The member's TLS files in its pki dir (content from the certificates; delivered as secrets). */
export function memberPkiPaths(paths: EtcdPaths = DEFAULT_ETCD_PATHS): Record<keyof typeof PKI_FILES, { path: string; permissions: string }> {
  const at = (f: string, permissions: string) => ({ path: `${paths.pkiDir}/${f}`, permissions });
  return {
    ca: at(PKI_FILES.ca, "0644"), serverCert: at(PKI_FILES.serverCert, "0644"), serverKey: at(PKI_FILES.serverKey, "0600"),
    peerCert: at(PKI_FILES.peerCert, "0644"), peerKey: at(PKI_FILES.peerKey, "0600"),
  };
}

/** Plain files of a colocated on-host member: config, unit, start hook, backup (leader only) and restore. */
export function colocatedNodeFiles(input: ColocatedNodeInput): EtcdNodeFile[] {
  const paths = DEFAULT_ETCD_PATHS;
  const m = input.member;
  const token = `${input.cluster}-etcd`;
  const pki = memberPkiPaths(paths);
  return [
    { path: paths.configFile, content: renderEtcdConfig({ member: m, members: input.members, clusterToken: token, paths }), permissions: "0644" },
    { path: MEMBER_FILES.etcdUnit, content: renderEtcdUnit({ memberName: m.name, cluster: input.cluster, paths, etcdBinary: input.etcdBinary }), permissions: "0644" },
    { path: NODE_START_SCRIPT, content: renderNodeStartScript({ memberName: m.name, paths }), permissions: "0755" },
    {
      path: MEMBER_FILES.backup,
      content: renderBackupScript({
        cluster: input.cluster, memberName: m.name, endpoint: `https://${m.ip}:${DEFAULT_ETCD_PORTS.client}`,
        client: { caFile: pki.ca.path, certFile: pki.serverCert.path, keyFile: pki.serverKey.path }, bucket: input.bucket, region: input.region,
      }),
      permissions: "0755",
    },
    { path: MEMBER_FILES.backupService, content: renderBackupService(MEMBER_FILES.backup, "etcd.service"), permissions: "0644" },
    { path: MEMBER_FILES.backupTimer, content: renderBackupTimer(input.intervalMinutes), permissions: "0644" },
    {
      path: MEMBER_FILES.restore,
      content: renderRestoreScript({
        cluster: input.cluster, memberName: m.name, peerUrl: `https://${m.ip}:${DEFAULT_ETCD_PORTS.peer}`, initialCluster: initialCluster(input.members),
        clusterToken: token, dataDir: paths.dataDir, region: input.region,
      }),
      permissions: "0755",
    },
  ];
}

export interface StackedNodeInput {
  cluster: string;
  region: string;
  /** Names the snapshots this node uploads (e.g. `control-plane-1`). */
  memberName: string;
  bucket: string;
  intervalMinutes: number;
}

/**
 * Backup of kubeadm's stacked etcd on a control-plane node: the script (kubeadm's
 * `healthcheck-client` certificate, the member on 127.0.0.1), its service and timer. No restore
 * script: the members' names and addresses are kubeadm's and AWS's (docs/etcd.md has the runbook).
 */
export function stackedEtcdNodeFiles(input: StackedNodeInput): EtcdNodeFile[] {
  return [
    {
      path: MEMBER_FILES.backup,
      content: renderBackupScript({
        cluster: input.cluster, memberName: input.memberName, endpoint: KUBEADM_ETCD.localEndpoint,
        client: { caFile: KUBEADM_ETCD.caFile, certFile: KUBEADM_ETCD.healthcheckCert, keyFile: KUBEADM_ETCD.healthcheckKey }, bucket: input.bucket, region: input.region,
      }),
      permissions: "0755",
    },
    { path: MEMBER_FILES.backupService, content: renderBackupService(MEMBER_FILES.backup, "kubelet.service"), permissions: "0644" },
    { path: MEMBER_FILES.backupTimer, content: renderBackupTimer(input.intervalMinutes), permissions: "0644" },
  ];
}
