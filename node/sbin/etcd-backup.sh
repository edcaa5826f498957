#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: an etcd snapshot to S3 (docs/etcd.md, "Backups"), run by etcd-backup.timer on every member.
#   etcd-backup               only the leader saves: one snapshot per interval for the cluster
#   etcd-backup --any-member  save from this member whatever its role
# Keys: <frequent prefix><cluster>/<UTC stamp>-<member>.db every run, and on the first upload of each UTC day a
# copy under <daily prefix><cluster>/<UTC date>/ (the date of the last one is kept, so no day is skipped).
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ETCD_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ETCD_ENV}"
log_as etcd-backup
umask 077
CLUSTER="$KUBEADM_AWS_ETCD_CLUSTER"
MEMBER="$KUBEADM_AWS_ETCD_MEMBER"
BUCKET="$KUBEADM_AWS_ETCD_BUCKET"
STATE_DIR="$KUBEADM_AWS_ETCD_BACKUP_DIR"
# No ETCDCTL_API: v3 is etcdctl's default since 3.4, and etcdctl 3.6 logs the variable as unrecognized.

any_member=false
if [ "${1:-}" = "--any-member" ]; then any_member=true; fi

etcd_ctl() {
  etcdctl --endpoints="$KUBEADM_AWS_ETCD_ENDPOINT" --cacert="$KUBEADM_AWS_ETCD_CACERT" --cert="$KUBEADM_AWS_ETCD_CERT" \
    --key="$KUBEADM_AWS_ETCD_KEY" --command-timeout=60s "$@"
}

status="$(etcd_ctl endpoint status -w fields)"
member_id="$(printf '%s\n' "$status" | awk -F' : ' '/^"MemberID"/ {print $2}')"
leader_id="$(printf '%s\n' "$status" | awk -F' : ' '/^"Leader"/ {print $2}')"
if [ -z "$member_id" ] || [ -z "$leader_id" ]; then
  log "cannot read the status of $KUBEADM_AWS_ETCD_ENDPOINT"
  exit 1
fi
if [ "$any_member" = false ] && [ "$member_id" != "$leader_id" ]; then
  log "$MEMBER is not the leader; the leader takes the snapshot"
  exit 0
fi

mkdir -p "$STATE_DIR"
work="$(mktemp -d "$STATE_DIR/snapshot.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
day="$(date -u +%Y-%m-%d)"
snapshot="$work/$stamp-$MEMBER.db"

etcd_ctl snapshot save "$snapshot" >&2
if [ ! -s "$snapshot" ]; then
  log "snapshot $snapshot is empty"
  exit 1
fi

frequent="s3://$BUCKET/$KUBEADM_AWS_ETCD_FREQUENT_PREFIX$CLUSTER/$stamp-$MEMBER.db"
aws --region "$KUBEADM_AWS_ETCD_BUCKET_REGION" s3 cp --only-show-errors "$snapshot" "$frequent"
log "saved $frequent"

last_daily="$(cat "$STATE_DIR/last-daily" 2>/dev/null || true)"
if [ "$last_daily" != "$day" ]; then
  daily="s3://$BUCKET/$KUBEADM_AWS_ETCD_DAILY_PREFIX$CLUSTER/$day/$stamp-$MEMBER.db"
  aws --region "$KUBEADM_AWS_ETCD_BUCKET_REGION" s3 cp --only-show-errors "$snapshot" "$daily"
  printf '%s\n' "$day" >"$STATE_DIR/last-daily"
  log "saved $daily"
fi
