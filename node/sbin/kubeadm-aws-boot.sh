#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: the one boot of every role (docs/bootstrap.md, "How a node boots"). It starts this node with
# what the image has (nothing is downloaded), as the env file says: name the node, fetch the bundle, then
# kubeadm (init through the init marker, or join) or the role's own action (an etcd member), retried;
# then the units the role enables.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
log_as kubeadm-aws
STATE="$KUBEADM_AWS_STATE_DIR"
ACTION="${KUBEADM_AWS_BOOT_ACTION:-}"
INIT_LOCK="${KUBEADM_AWS_INIT_LOCK:-}"
mkdir -p "$STATE"

# Failed: give an init claim back (init-lock); a worker asks its group to replace it.
on_exit() {
  local rc=$?
  [ "$rc" != 0 ] || return 0
  [ -z "$INIT_LOCK" ] || [ ! -x "$INIT_LOCK" ] || "$INIT_LOCK" failed || true
  mark_unhealthy "exit $rc"
}
trap on_exit EXIT

if [ -n "$ACTION" ] && [ -f "$KUBEADM_AWS_BOOTSTRAPPED" ]; then
  log "already bootstrapped; its units start by themselves"
  exit 0
fi
if [ -z "$ACTION" ] && [ -f "$KUBEADM_AWS_KUBELET_CONF" ]; then
  [ ! -x "$INIT_LOCK" ] || "$INIT_LOCK" rebooted
  log "already bootstrapped; starting kubelet"
  systemctl start kubelet
  exit 0
fi

# The AWS cloud controller manager wants the private DNS name as node name.
node_name="$(imds local-hostname)"
KUBEADM_AWS_INSTANCE_ID="$(imds instance-id)"
export KUBEADM_AWS_INSTANCE_ID
echo "$KUBEADM_AWS_INSTANCE_ID" >"$STATE/instance-id"
hostnamectl set-hostname "$node_name"

# Own deadline: the unit has no start timeout.
per_attempt=$((${KUBEADM_AWS_API_WAIT_SECONDS:-0} + KUBEADM_AWS_RETRY_PAUSE))
budget="${KUBEADM_AWS_BOOT_BUDGET:-$((${KUBEADM_AWS_JOIN_DELAY:-0} + KUBEADM_AWS_MAX_ATTEMPTS * per_attempt + KUBEADM_AWS_BOOT_MARGIN))}"
deadline=$(($(date +%s) + budget))
log "boot budget ${budget}s"
mode="${KUBEADM_AWS_MODE:-$(basename "$ACTION")}"
locked=false
started=false
[ "$mode" != join ] || sleep "$KUBEADM_AWS_JOIN_DELAY"
attempt=1
while true; do
  "$KUBEADM_AWS_FETCH"
  if [ "$started" = false ]; then
    # Kernel settings and modules come with the bundle.
    modprobe overlay
    modprobe br_netfilter
    sysctl --system >/dev/null
    systemctl enable --now containerd
    [ -n "$ACTION" ] || systemctl enable kubelet
    started=true
  fi
  # shellcheck source=/dev/null
  [ -z "${KUBEADM_AWS_LOCK_ENV:-}" ] || [ ! -f "$KUBEADM_AWS_LOCK_ENV" ] || . "$KUBEADM_AWS_LOCK_ENV"
  rc=0
  if [ -n "$ACTION" ]; then
    :
  elif [ "$KUBEADM_AWS_CONTROL_PLANE" = true ] && [ -n "${KUBEADM_AWS_INIT_LOCK_TABLE:-}" ]; then
    # Any control-plane node may claim the init: the init marker decides.
    locked=true
    if next="$("$INIT_LOCK" decide)"; then mode="$next"; else rc=$?; fi
  elif [ "$attempt" = 1 ] && [ "$mode" = init ] && api_ready "$KUBEADM_AWS_API_ENDPOINT"; then
    log "the API already answers; joining instead of kubeadm init"
    mode="join"
  fi
  if [ "$rc" = 0 ] && [ -n "${KUBEADM_AWS_BEFORE_KUBEADM:-}" ]; then
    # e.g. start this node's etcd member
    "$KUBEADM_AWS_BEFORE_KUBEADM" || { rc=$?; log "$KUBEADM_AWS_BEFORE_KUBEADM failed"; }
  fi
  if [ "$rc" != 0 ]; then
    :
  elif [ -n "$ACTION" ]; then
    "$ACTION" || { rc=$?; log "$ACTION failed"; }
  elif [ "$locked" = true ]; then
    # 4: the cluster is lost (init-lock api-lost)
    "$INIT_LOCK" run "$mode" || rc=$?
    [ "$rc" != 4 ] || exit 1
  elif [ "$mode" = init ]; then
    kubeadm_run init || rc=$?
  elif wait_for_api "$KUBEADM_AWS_API_WAIT_SECONDS"; then
    kubeadm_run join || rc=$?
  else
    rc=1
  fi
  [ "$rc" != 0 ] || break
  if [ "$attempt" -ge "$KUBEADM_AWS_MAX_ATTEMPTS" ] || [ "$(date +%s)" -ge "$deadline" ]; then
    if [ -n "$ACTION" ]; then what="$mode"; else what="kubeadm $mode"; fi
    log "$what failed $attempt times (boot budget ${budget}s); giving up"
    exit 1
  fi
  if [ -n "$ACTION" ]; then
    log "$ACTION failed (attempt $attempt); retrying"
  elif [ ! -f "$STATE/local-api-answered" ]; then
    log "kubeadm $mode failed (attempt $attempt); resetting and retrying"
    # (reset also removes the certificates: the next attempt fetches them again)
    kubeadm reset --force >/dev/null 2>&1 || true
  elif [ "$mode" = init ]; then
    log "kubeadm init failed after its API answered (attempt $attempt); retrying, never resetting"
  else
    log "kubeadm join failed after this node's API answered: no reset; replace the node"
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep "$KUBEADM_AWS_RETRY_PAUSE"
done

# Units from the bundle (the token sync, certificate renewal, etcd backups): systemd must see them first.
systemctl daemon-reload
if [ -n "${KUBEADM_AWS_ENABLE_UNITS:-}" ]; then
  IFS=',' read -r -a units <<<"$KUBEADM_AWS_ENABLE_UNITS"
  systemctl enable --now "${units[@]}"
fi
[ -z "$ACTION" ] || touch "$KUBEADM_AWS_BOOTSTRAPPED"
log "node bootstrapped ($mode)"
