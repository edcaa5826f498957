/**
 * etcd backup and restore on a member: the scripts (node/sbin/etcd-backup.sh, etcd-restore.sh, shipped as they
 * are), the env lines they read from the member env file, and the backup's systemd service and timer. Pure.
 *
 * Key layout in the bucket (the lifecycle rules of BackupBucket expire each prefix):
 *   frequent/<cluster>/<UTC timestamp>-<member>.db   every `intervalMinutes`
 *   daily/<cluster>/<UTC date>/<UTC timestamp>-<member>.db   the first snapshot of each UTC day
 * Only the current leader uploads, so a healthy cluster stores one snapshot per interval.
 */
import type { EnvEntry } from "../bootstrap/env-file";
import type { NodeScript } from "../bootstrap/node-scripts";
import { PATHS, UNITS } from "../bootstrap/paths";
import { periodicUnit, type PeriodicUnits } from "../bootstrap/units";

/** Object key prefixes; BackupBucket's lifecycle rules are written for these. */
export const BACKUP_PREFIXES = { frequent: "frequent/", daily: "daily/" } as const;

/** Where backup and restore live on a member (the boot enables `UNITS.etcdBackupTimer` once it succeeded, every layout). */
export const BACKUP_FILES = {
  backup: `${PATHS.sbin}/etcd-backup`,
  restore: `${PATHS.sbin}/etcd-restore`,
  service: `${PATHS.units}/${UNITS.etcdBackupService}`,
  timer: `${PATHS.units}/${UNITS.etcdBackupTimer}`,
  /** Snapshots are staged here; the date of the last daily upload is remembered here. */
  stateDir: "/var/lib/etcd-backup",
} as const;

/** The scripts, by where they come from (node/) and where they go. */
export const BACKUP_SCRIPTS = {
  backup: { source: "sbin/etcd-backup.sh", path: BACKUP_FILES.backup },
  restore: { source: "sbin/etcd-restore.sh", path: BACKUP_FILES.restore },
} as const satisfies Record<string, NodeScript>;

/** Seconds a containerized member's restore waits, once its static Pod manifest is gone, for the kubelet to stop it. */
export const STATIC_POD_STOP_SECONDS = 30;

export interface EtcdClientFiles {
  /** CA bundle that signed the members' server certificates. */
  caFile: string;
  /** A client certificate the members accept. */
  certFile: string;
  keyFile: string;
}

export interface BackupEnvInput {
  /** Cluster name (the key prefix below each of BACKUP_PREFIXES). Required. */
  cluster: string;
  /** This member's client URL, e.g. `https://10.0.15.228:2379`. Required. */
  endpoint: string;
  /** The client certificate the script shows the member. Required. */
  client: EtcdClientFiles;
  /** Bucket name (no `s3://`). Required. */
  bucket: string;
  /** The bucket's AWS region (also where a restore downloads from). Required. */
  region: string;
  /** Local working directory. @default BACKUP_FILES.stateDir */
  stateDir?: string;
}

/** The env lines `etcd-backup` reads (besides the member name, `KUBEADM_AWS_ETCD_MEMBER`). */
export function backupEnv(input: BackupEnvInput): EnvEntry[] {
  return [
    ["KUBEADM_AWS_ETCD_CLUSTER", input.cluster],
    ["KUBEADM_AWS_ETCD_ENDPOINT", input.endpoint],
    ["KUBEADM_AWS_ETCD_CACERT", input.client.caFile],
    ["KUBEADM_AWS_ETCD_CERT", input.client.certFile],
    ["KUBEADM_AWS_ETCD_KEY", input.client.keyFile],
    ["KUBEADM_AWS_ETCD_BUCKET", input.bucket],
    ["KUBEADM_AWS_ETCD_BUCKET_REGION", input.region],
    ["KUBEADM_AWS_ETCD_BACKUP_DIR", input.stateDir ?? BACKUP_FILES.stateDir],
    ["KUBEADM_AWS_ETCD_FREQUENT_PREFIX", BACKUP_PREFIXES.frequent],
    ["KUBEADM_AWS_ETCD_DAILY_PREFIX", BACKUP_PREFIXES.daily],
  ];
}

export interface RestoreEnvInput {
  /** This member's peer URL, e.g. `https://10.0.15.228:2380`. Required. */
  peerUrl: string;
  /** etcd `initial-cluster` of the whole cluster. Required. */
  initialCluster: string;
  /** The cluster's `initial-cluster-token`; a restore derives a new one from it and the snapshot. Required. */
  clusterToken: string;
  /** A containerized member's static Pod manifest (moved aside to stop it). @default undefined (on-host: `systemctl stop` of the member's unit) */
  staticPod?: string;
}

/**
 * The env lines `etcd-restore` reads besides the member's (name, data dir, user, unit: `memberEnv`) and the
 * backup's working directory (`backupEnv`).
 */
export function restoreEnv(input: RestoreEnvInput): EnvEntry[] {
  return [
    ["KUBEADM_AWS_ETCD_PEER_URL", input.peerUrl],
    ["KUBEADM_AWS_ETCD_INITIAL_CLUSTER", input.initialCluster],
    ["KUBEADM_AWS_ETCD_CLUSTER_TOKEN", input.clusterToken],
    ["KUBEADM_AWS_ETCD_POD_STOP_SECONDS", STATIC_POD_STOP_SECONDS],
    ...(input.staticPod !== undefined ? [["KUBEADM_AWS_ETCD_STATIC_POD", input.staticPod] as const] : []),
  ];
}

/**
 * `etcd-backup.service` and `etcd-backup.timer` (`UNITS.etcdBackupService`, `UNITS.etcdBackupTimer`): one run of the
 * script after `afterUnit` (the member's unit), at low CPU and I/O priority, with the node's bootstrap env and the
 * member env file (`etcdEnv`) named for it; every `intervalMinutes` (a positive integer), the first 5 minutes after boot.
 */
export function renderBackupUnits(afterUnit: string, etcdEnv: string, intervalMinutes: number): PeriodicUnits {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1)
    throw new Error(`backup: intervalMinutes must be a positive integer (got ${intervalMinutes})`);
  return periodicUnit({
    description: "etcd snapshot to S3",
    timerDescription: `etcd snapshot every ${intervalMinutes} minutes`,
    execStart: BACKUP_FILES.backup,
    environment: [["KUBEADM_AWS_ETCD_ENV", etcdEnv]],
    after: [afterUnit],
    nice: 10,
    ioSchedulingClass: "idle",
    schedule: { onBootSec: "5min", onUnitActiveSec: `${intervalMinutes}min`, accuracySec: "1min", randomizedDelaySec: "30s" },
  });
}
