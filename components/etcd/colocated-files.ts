/**
 * What a control-plane node runs for its etcd beyond kubeadm, pure. With colocated on-host etcd the node is an
 * etcd member, and its files are `memberFiles` (member-files.ts) like a dedicated member's; with kubeadm's
 * stacked etcd the node gets the snapshot backup only (`stackedEtcdNodeFiles`). The Cluster delivers these
 * files through each node's bootstrap bundle (components/cluster/bootstrap.ts, `colocatedHooks`).
 */
import { BACKUP_FILES, BACKUP_SCRIPTS, backupEnv, renderBackupUnits } from "../backup/scripts";
import type { RoleFile } from "../bootstrap/files";
import { KUBEADM_ETCD } from "../bootstrap/kubeadm-etcd";
import { nodeScriptFile } from "../bootstrap/node-scripts";
import { UNITS } from "../bootstrap/paths";
import { DEFAULT_ETCD_PORTS } from "./members";
import { ETCD_NODE_FILES, renderMemberEnv } from "./node-files";

/** The hook the control-plane boot runs before kubeadm on a colocated on-host member. */
export const NODE_START_SCRIPT = ETCD_NODE_FILES.nodeStart;

/** kubeadm's etcd listens on the node address and on loopback; the backup uses loopback (the node address is AWS's choice). */
export const STACKED_ETCD_LOCAL_ENDPOINT = `https://127.0.0.1:${DEFAULT_ETCD_PORTS.client}`;

export interface StackedNodeInput {
  /** Cluster name. Required. */
  cluster: string;
  /** AWS region of the snapshot bucket. Required. */
  region: string;
  /** Names the snapshots this node uploads (e.g. `control-plane-1`). Required. */
  memberName: string;
  /** Snapshot bucket name. Required. */
  bucket: string;
  /** Minutes between snapshots. Required. */
  intervalMinutes: number;
}

/**
 * Backup of kubeadm's stacked etcd on a control-plane node: the member env file (kubeadm's `healthcheck-client`
 * certificate, the member on 127.0.0.1), the script, its service and timer. No restore script: the members' names
 * and addresses are kubeadm's and AWS's (docs/etcd.md has the runbook).
 */
export function stackedEtcdNodeFiles(input: StackedNodeInput): RoleFile[] {
  const env = renderMemberEnv(
    input.memberName,
    backupEnv({
      cluster: input.cluster,
      endpoint: STACKED_ETCD_LOCAL_ENDPOINT,
      bucket: input.bucket,
      region: input.region,
      client: { caFile: KUBEADM_ETCD.caFile, certFile: KUBEADM_ETCD.healthcheckCert, keyFile: KUBEADM_ETCD.healthcheckKey },
    }),
  );
  const plain = (path: string, content: string): RoleFile => ({ path, content, permissions: "0644", sensitive: false, viaBundle: true });
  const units = renderBackupUnits(UNITS.kubelet, ETCD_NODE_FILES.env, input.intervalMinutes);
  return [
    plain(ETCD_NODE_FILES.env, env),
    nodeScriptFile(BACKUP_SCRIPTS.backup, { viaBundle: true }),
    plain(BACKUP_FILES.service, units.service),
    plain(BACKUP_FILES.timer, units.timer),
  ];
}
