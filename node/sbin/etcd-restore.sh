#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: restore this etcd member from a snapshot (docs/etcd.md, "Restore runbook"). Run it on every member
# with the same snapshot, with the node's two env files named as etcd-backup.service names them:
#   KUBEADM_AWS_ENV=... KUBEADM_AWS_ETCD_ENV=... etcd-restore SNAPSHOT      (a local file or s3://bucket/key)
# It stops the member, restores with `etcdutl snapshot restore` (etcd 3.6 removed etcdctl's; without etcdutl it
# stops nothing) into a new folder on the data volume, keeps the old data as member.pre-restore-<stamp>, swaps the
# new data in and starts the member. The new cluster token is derived from the snapshot, the same on every member.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?set KUBEADM_AWS_ENV (the node bootstrap env file, docs/etcd.md "Restore runbook")}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ETCD_ENV:?set KUBEADM_AWS_ETCD_ENV (the member env file, docs/etcd.md "Restore runbook")}"
log_as etcd-restore
umask 077
MEMBER="$KUBEADM_AWS_ETCD_MEMBER"
DATA_DIR="$KUBEADM_AWS_ETCD_DATA_DIR"
ETCD_USER="$KUBEADM_AWS_ETCD_USER"
STATE_DIR="$KUBEADM_AWS_ETCD_BACKUP_DIR"
# Containerized members: the kubelet stops the static Pod once its manifest is gone.
POD="${KUBEADM_AWS_ETCD_STATIC_POD:-}"

if [ $# -ne 1 ]; then
  echo "usage: $0 SNAPSHOT   (a local file or s3://bucket/key)" >&2
  exit 2
fi
# etcd 3.6 removed "etcdctl snapshot restore": the offline tool etcdutl (in the node image next to etcd and
# etcdctl) restores. Checked before anything is stopped.
if ! command -v etcdutl >/dev/null 2>&1; then
  log "etcdutl is not installed (etcd >= 3.6 restores only with etcdutl); nothing was changed"
  exit 1
fi
source_uri="$1"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$STATE_DIR"

snapshot="$source_uri"
if [[ "$source_uri" == s3://* ]]; then
  snapshot="$STATE_DIR/restore-$stamp.db"
  aws --region "$KUBEADM_AWS_ETCD_BUCKET_REGION" s3 cp --only-show-errors "$source_uri" "$snapshot"
fi
if [ ! -s "$snapshot" ]; then
  log "$snapshot is missing or empty"
  exit 1
fi

# The same snapshot gives the same token on every member; a new token keeps old members out.
token="$KUBEADM_AWS_ETCD_CLUSTER_TOKEN-$(sha256sum "$snapshot" | cut -c1-12)"
staging="$DATA_DIR/restore-$stamp"

log "stopping $MEMBER"
if [ -n "$POD" ]; then
  mv "$POD" "$STATE_DIR/$(basename "$POD").stopped"
  sleep "$KUBEADM_AWS_ETCD_POD_STOP_SECONDS"
else
  systemctl stop "$KUBEADM_AWS_ETCD_UNIT"
fi

etcdutl snapshot restore "$snapshot" \
  --name "$MEMBER" \
  --initial-cluster "$KUBEADM_AWS_ETCD_INITIAL_CLUSTER" \
  --initial-cluster-token "$token" \
  --initial-advertise-peer-urls "$KUBEADM_AWS_ETCD_PEER_URL" \
  --data-dir "$staging" >&2

if [ -d "$DATA_DIR/member" ]; then
  mv "$DATA_DIR/member" "$DATA_DIR/member.pre-restore-$stamp"
  log "previous data kept in $DATA_DIR/member.pre-restore-$stamp"
fi
mv "$staging/member" "$DATA_DIR/member"
rmdir "$staging"
if id "$ETCD_USER" >/dev/null 2>&1; then chown -R "$ETCD_USER:$ETCD_USER" "$DATA_DIR/member"; fi
chmod 700 "$DATA_DIR/member"

log "starting $MEMBER from $source_uri (cluster token $token)"
if [ -n "$POD" ]; then
  mv "$STATE_DIR/$(basename "$POD").stopped" "$POD"
else
  systemctl start "$KUBEADM_AWS_ETCD_UNIT"
fi
