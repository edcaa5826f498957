/**
 * What a control-plane node runs for its colocated etcd, pure: for on-host etcd the member's config, member env,
 * systemd unit, start hook, backup and restore; for kubeadm's stacked etcd the backup only. The scripts are the
 * node/sbin files as they are; the member env file carries every value. The Cluster delivers these files through
 * each node's bootstrap bundle (components/cluster/bootstrap.ts, `colocatedHooks`).
 */
import { PATHS } from "../bootstrap/paths";
import { BACKUP_FILES, BACKUP_SCRIPTS, backupEnv, renderBackupService, renderBackupTimer, restoreEnv } from "../backup/scripts";
import { nodeScriptText } from "../bootstrap/node-scripts";
import { DEFAULT_ETCD_PATHS, etcdClusterToken, renderEtcdConfig } from "./config";
import { DEFAULT_ETCD_PORTS, initialCluster, type EtcdMember } from "./members";
import { ETCD_NODE_FILES, ETCD_SCRIPTS, memberEnv, memberPkiPaths, renderMemberEnv } from "./node-files";
import { renderEtcdUnit } from "./systemd";

export { BACKUP_TIMER_UNIT } from "../backup/scripts";

/** kubeadm's stacked etcd: where its certificates and static pod live on a control-plane node. */
export const KUBEADM_ETCD = {
  dataDir: "/var/lib/etcd",
  caFile: `${PATHS.pki}/etcd/ca.crt`,
  healthcheckCert: `${PATHS.pki}/etcd/healthcheck-client.crt`,
  healthcheckKey: `${PATHS.pki}/etcd/healthcheck-client.key`,
  manifest: `${PATHS.manifests}/etcd.yaml`,
  /** kubeadm's etcd listens on the node address and on loopback; the backup uses loopback (the node address is AWS's choice). */
  localEndpoint: `https://127.0.0.1:${DEFAULT_ETCD_PORTS.client}`,
} as const;

/** The hook the control-plane boot runs before kubeadm on a colocated on-host member. */
export const NODE_START_SCRIPT = ETCD_NODE_FILES.nodeStart;

/** A file with its mode, by absolute path. */
export interface EtcdNodeFile {
  path: string;
  content: string;
  permissions: string;
}

export interface ColocatedNodeInput {
  /** Cluster name. Required. */
  cluster: string;
  /** AWS region of the snapshot bucket. Required. */
  region: string;
  /** This control-plane node as an etcd member. Required. */
  member: EtcdMember;
  /** Every control-plane member, in node order. Required. */
  members: EtcdMember[];
  /** Snapshot bucket name. Required. */
  bucket: string;
  /** Minutes between snapshots. Required. */
  intervalMinutes: number;
  /** The etcd binary in the node image. @default /usr/local/bin/etcd */
  etcdBinary?: string;
}

const script = (s: { source: string; path: string }): EtcdNodeFile => ({
  path: s.path,
  content: nodeScriptText(s.source),
  permissions: "0755",
});

/** Plain files of a colocated on-host member: config, member env, unit, start hook, backup (leader only) and restore. */
export function colocatedNodeFiles(input: ColocatedNodeInput): EtcdNodeFile[] {
  const paths = DEFAULT_ETCD_PATHS;
  const m = input.member;
  const token = etcdClusterToken(input.cluster);
  const pki = memberPkiPaths(paths);
  const env = renderMemberEnv(
    m.name,
    memberEnv({ memberName: m.name, runtime: "on-host", paths }),
    backupEnv({
      cluster: input.cluster,
      endpoint: `https://${m.ip}:${DEFAULT_ETCD_PORTS.client}`,
      bucket: input.bucket,
      region: input.region,
      client: { caFile: pki.ca.path, certFile: pki.serverCert.path, keyFile: pki.serverKey.path },
    }),
    restoreEnv({
      peerUrl: `https://${m.ip}:${DEFAULT_ETCD_PORTS.peer}`,
      initialCluster: initialCluster(input.members),
      clusterToken: token,
    }),
  );
  return [
    {
      path: paths.configFile,
      content: renderEtcdConfig({ member: m, members: input.members, clusterToken: token, paths }),
      permissions: "0644",
    },
    { path: ETCD_NODE_FILES.env, content: env, permissions: "0644" },
    {
      path: ETCD_NODE_FILES.etcdUnit,
      content: renderEtcdUnit({ memberName: m.name, cluster: input.cluster, paths, etcdBinary: input.etcdBinary }),
      permissions: "0644",
    },
    script(ETCD_SCRIPTS.nodeStart),
    script(BACKUP_SCRIPTS.backup),
    { path: BACKUP_FILES.service, content: renderBackupService("etcd.service", ETCD_NODE_FILES.env), permissions: "0644" },
    { path: BACKUP_FILES.timer, content: renderBackupTimer(input.intervalMinutes), permissions: "0644" },
    script(BACKUP_SCRIPTS.restore),
  ];
}

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
export function stackedEtcdNodeFiles(input: StackedNodeInput): EtcdNodeFile[] {
  const env = renderMemberEnv(
    input.memberName,
    backupEnv({
      cluster: input.cluster,
      endpoint: KUBEADM_ETCD.localEndpoint,
      bucket: input.bucket,
      region: input.region,
      client: { caFile: KUBEADM_ETCD.caFile, certFile: KUBEADM_ETCD.healthcheckCert, keyFile: KUBEADM_ETCD.healthcheckKey },
    }),
  );
  return [
    { path: ETCD_NODE_FILES.env, content: env, permissions: "0644" },
    script(BACKUP_SCRIPTS.backup),
    { path: BACKUP_FILES.service, content: renderBackupService("kubelet.service", ETCD_NODE_FILES.env), permissions: "0644" },
    { path: BACKUP_FILES.timer, content: renderBackupTimer(input.intervalMinutes), permissions: "0644" },
  ];
}
