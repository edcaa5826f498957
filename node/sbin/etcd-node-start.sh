#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: start this node's etcd member (docs/etcd.md). The hook a colocated on-host control-plane node runs
# before kubeadm, and the last step of a dedicated member's boot (etcd-member-boot). It creates the etcd user,
# hands it the data dir and the keys (the bundle writes them as root, 0600), enables and starts the member's unit
# without blocking, and waits until the member answers its health endpoint: it is then part of a quorum, which it
# is only once enough members run. Idempotent; fails when the member does not answer in time, so the boot retries.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through the node boot (its systemd unit sets KUBEADM_AWS_ENV)}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ETCD_ENV:?run through the node boot (it sets KUBEADM_AWS_ETCD_ENV, the member env file)}"
log_as etcd-node-start
MEMBER="$KUBEADM_AWS_ETCD_MEMBER"
DATA_DIR="$KUBEADM_AWS_ETCD_DATA_DIR"
PKI_DIR="$KUBEADM_AWS_ETCD_PKI_DIR"
ETCD_USER="$KUBEADM_AWS_ETCD_USER"
UNIT="$KUBEADM_AWS_ETCD_UNIT"

if ! id "$ETCD_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$ETCD_USER"
fi
mkdir -p "$DATA_DIR"
chown "$ETCD_USER:$ETCD_USER" "$DATA_DIR"
chmod 700 "$DATA_DIR"
# The unpacker keeps the owner of a file it replaces, so a later bundle fetch leaves the keys to etcd.
chown -R "$ETCD_USER:$ETCD_USER" "$PKI_DIR"
chmod 700 "$PKI_DIR"

systemctl daemon-reload
systemctl enable "$UNIT"
# Not blocking: the member becomes healthy only once a quorum of members runs.
systemctl start --no-block "$UNIT"
serving() {
  systemctl is-active --quiet "$UNIT" && curl -sf --max-time 5 "$KUBEADM_AWS_ETCD_HEALTH_URL" >/dev/null
}
retry "$KUBEADM_AWS_ETCD_START_ATTEMPTS" "etcd member $MEMBER answering $KUBEADM_AWS_ETCD_HEALTH_URL (is a quorum of members running?)" serving
log "$MEMBER is healthy ($UNIT)"
