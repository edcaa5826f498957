/**
 * etcd backup and restore on a member, pure: the backup script, its systemd service and timer,
 * and the restore script. Scripts pass `shellcheck -S warning` (tests/etcd).
 *
 * Key layout in the bucket (the lifecycle rules of BackupBucket expire each prefix):
 *   frequent/<cluster>/<UTC timestamp>-<member>.db   every `intervalMinutes`
 *   daily/<cluster>/<UTC date>/<UTC timestamp>-<member>.db   the first snapshot of each UTC day
 * Only the current leader uploads, so a healthy cluster stores one snapshot per interval.
 */

/** Object key prefixes; BackupBucket's lifecycle rules are written for these. */
export const BACKUP_PREFIXES = { frequent: "frequent/", daily: "daily/" } as const;

export interface EtcdClientFiles {
  /** CA bundle that signed the members' server certificates. */
  caFile: string;
  /** A client certificate the members accept. */
  certFile: string;
  keyFile: string;
}

export interface BackupScriptInput {
  cluster: string;
  memberName: string;
  /** This member's client URL, e.g. `https://10.0.15.228:2379`. */
  endpoint: string;
  client: EtcdClientFiles;
  /** Bucket name (no `s3://`). */
  bucket: string;
  /** AWS region of the bucket. */
  region: string;
  /** Local working directory (snapshots are staged here, the last daily upload is remembered here). @default /var/lib/etcd-backup */
  stateDir?: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

/**
 * `etcd-backup`: on the leader only (`--any-member` skips the check), `etcdctl snapshot save`,
 * then `aws s3 cp` to frequent/, and once per UTC day to daily/ as well.
 */
export function renderBackupScript(input: BackupScriptInput): string {
  const stateDir = input.stateDir ?? "/var/lib/etcd-backup";
  return `#!/bin/bash
# etcd snapshot to S3 for member ${input.memberName} of cluster ${input.cluster} (rendered by pulumi-kubeadm-aws).
set -euo pipefail
umask 077

CLUSTER=${q(input.cluster)}
MEMBER=${q(input.memberName)}
ENDPOINT=${q(input.endpoint)}
CACERT=${q(input.client.caFile)}
CERT=${q(input.client.certFile)}
KEY=${q(input.client.keyFile)}
BUCKET=${q(input.bucket)}
REGION=${q(input.region)}
STATE_DIR=${q(stateDir)}
# No ETCDCTL_API: v3 is etcdctl's default since 3.4, and etcdctl 3.6 logs the variable as unrecognized.

ANY_MEMBER=0
if [ "\${1:-}" = "--any-member" ]; then ANY_MEMBER=1; fi

etcd_ctl() {
  etcdctl --endpoints="$ENDPOINT" --cacert="$CACERT" --cert="$CERT" --key="$KEY" --command-timeout=60s "$@"
}

status="$(etcd_ctl endpoint status -w fields)"
member_id="$(printf '%s\\n' "$status" | awk -F' : ' '/^"MemberID"/ {print $2}')"
leader_id="$(printf '%s\\n' "$status" | awk -F' : ' '/^"Leader"/ {print $2}')"
if [ -z "$member_id" ] || [ -z "$leader_id" ]; then
  echo "etcd-backup: cannot read the status of $ENDPOINT" >&2
  exit 1
fi
if [ "$ANY_MEMBER" != 1 ] && [ "$member_id" != "$leader_id" ]; then
  echo "etcd-backup: $MEMBER is not the leader; the leader takes the snapshot"
  exit 0
fi

mkdir -p "$STATE_DIR"
work="$(mktemp -d "$STATE_DIR/snapshot.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
day="$(date -u +%Y-%m-%d)"
snapshot="$work/$stamp-$MEMBER.db"

etcd_ctl snapshot save "$snapshot"
if [ ! -s "$snapshot" ]; then
  echo "etcd-backup: snapshot $snapshot is empty" >&2
  exit 1
fi

aws --region "$REGION" s3 cp --only-show-errors "$snapshot" "s3://$BUCKET/${BACKUP_PREFIXES.frequent}$CLUSTER/$stamp-$MEMBER.db"
echo "etcd-backup: saved s3://$BUCKET/${BACKUP_PREFIXES.frequent}$CLUSTER/$stamp-$MEMBER.db"

last_daily="$(cat "$STATE_DIR/last-daily" 2>/dev/null || true)"
if [ "$last_daily" != "$day" ]; then
  aws --region "$REGION" s3 cp --only-show-errors "$snapshot" "s3://$BUCKET/${BACKUP_PREFIXES.daily}$CLUSTER/$day/$stamp-$MEMBER.db"
  printf '%s\\n' "$day" > "$STATE_DIR/last-daily"
  echo "etcd-backup: saved s3://$BUCKET/${BACKUP_PREFIXES.daily}$CLUSTER/$day/$stamp-$MEMBER.db"
fi
`;
}

/** `etcd-backup.service`: one run of the script, at low CPU and I/O priority. */
export function renderBackupService(scriptPath: string, afterUnit: string): string {
  return [
    "[Unit]",
    "Description=etcd snapshot to S3",
    `After=${afterUnit}`,
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${scriptPath}`,
    "Nice=10",
    "IOSchedulingClass=idle",
    "",
  ].join("\n");
}

/** `etcd-backup.timer`: every `intervalMinutes`, first run 5 minutes after boot. */
export function renderBackupTimer(intervalMinutes: number): string {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1) throw new Error(`backup: intervalMinutes must be a positive integer (got ${intervalMinutes})`);
  return [
    "[Unit]",
    `Description=etcd snapshot every ${intervalMinutes} minutes`,
    "",
    "[Timer]",
    "OnBootSec=5min",
    `OnUnitActiveSec=${intervalMinutes}min`,
    "AccuracySec=1min",
    "RandomizedDelaySec=30s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

export interface RestoreScriptInput {
  cluster: string;
  memberName: string;
  /** This member's peer URL, e.g. `https://10.0.15.228:2380`. */
  peerUrl: string;
  /** etcd `initial-cluster` of the whole cluster. */
  initialCluster: string;
  /** The cluster's `initial-cluster-token`; a restore derives a new one from it and the snapshot. */
  clusterToken: string;
  /** The member's data directory (a mount point on dedicated members). */
  dataDir: string;
  /** Owner of the data directory. @default "etcd" */
  user?: string;
  /** How to stop and start the member. @default systemctl stop|start etcd.service */
  stopCommand?: string;
  startCommand?: string;
  region: string;
  /** Working directory for downloads. @default /var/lib/etcd-backup */
  stateDir?: string;
}

/**
 * `etcd-restore SNAPSHOT` (a local file or an `s3://` URI): stops the member, restores the
 * snapshot with `etcdutl snapshot restore` (etcd 3.6 removed etcdctl's restore; the script refuses
 * to start without etcdutl) into a new directory on the data volume, keeps the old data as
 * `member.pre-restore-<stamp>`, swaps the new data in and starts the member. Run it on every member
 * with the same snapshot (see docs/etcd.md); each gets a new cluster id derived from the snapshot.
 */
export function renderRestoreScript(input: RestoreScriptInput): string {
  const stateDir = input.stateDir ?? "/var/lib/etcd-backup";
  return `#!/bin/bash
# Restore member ${input.memberName} of cluster ${input.cluster} from an etcd snapshot (rendered by pulumi-kubeadm-aws).
set -euo pipefail
umask 077

MEMBER=${q(input.memberName)}
PEER_URL=${q(input.peerUrl)}
INITIAL_CLUSTER=${q(input.initialCluster)}
CLUSTER_TOKEN=${q(input.clusterToken)}
DATA_DIR=${q(input.dataDir)}
ETCD_USER=${q(input.user ?? "etcd")}
REGION=${q(input.region)}
STATE_DIR=${q(stateDir)}

if [ $# -ne 1 ]; then
  echo "usage: $0 SNAPSHOT   (a local file or s3://bucket/key)" >&2
  exit 2
fi
# etcd 3.6 removed "etcdctl snapshot restore": the offline tool etcdutl (in the node image next to
# etcd and etcdctl) restores. Checked before anything is stopped.
if ! command -v etcdutl >/dev/null 2>&1; then
  echo "etcd-restore: etcdutl is not installed (etcd >= 3.6 restores only with etcdutl); nothing was changed" >&2
  exit 1
fi
source_uri="$1"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$STATE_DIR"

snapshot="$source_uri"
if [[ "$source_uri" == s3://* ]]; then
  snapshot="$STATE_DIR/restore-$stamp.db"
  aws --region "$REGION" s3 cp --only-show-errors "$source_uri" "$snapshot"
fi
if [ ! -s "$snapshot" ]; then
  echo "etcd-restore: $snapshot is missing or empty" >&2
  exit 1
fi

# The same snapshot gives the same token on every member; a new token keeps old members out.
token="$CLUSTER_TOKEN-$(sha256sum "$snapshot" | cut -c1-12)"
staging="$DATA_DIR/restore-$stamp"

echo "etcd-restore: stopping $MEMBER"
${input.stopCommand ?? "systemctl stop etcd.service"}

etcdutl snapshot restore "$snapshot" \\
  --name "$MEMBER" \\
  --initial-cluster "$INITIAL_CLUSTER" \\
  --initial-cluster-token "$token" \\
  --initial-advertise-peer-urls "$PEER_URL" \\
  --data-dir "$staging"

if [ -d "$DATA_DIR/member" ]; then
  mv "$DATA_DIR/member" "$DATA_DIR/member.pre-restore-$stamp"
  echo "etcd-restore: previous data kept in $DATA_DIR/member.pre-restore-$stamp"
fi
mv "$staging/member" "$DATA_DIR/member"
rmdir "$staging"
if id "$ETCD_USER" >/dev/null 2>&1; then chown -R "$ETCD_USER:$ETCD_USER" "$DATA_DIR/member"; fi
chmod 700 "$DATA_DIR/member"

echo "etcd-restore: starting $MEMBER from $source_uri (cluster token $token)"
${input.startCommand ?? "systemctl start etcd.service"}
`;
}
