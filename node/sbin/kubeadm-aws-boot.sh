#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: the one boot of every role (docs/bootstrap.md, "How a node boots"). It starts this node with
# what the image has (nothing is downloaded), as the env file says: name the node, fetch the bundle, then
# kubeadm or the role's own action (an etcd member), retried; then the units the role enables. A
# control-plane node runs kubeadm only through the init marker (kubeadm-aws-init-lock), which decides
# between init and join; a worker only joins.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
log_as kubeadm-aws
ACTION="${KUBEADM_AWS_BOOT_ACTION:-}"
INIT_LOCK="${KUBEADM_AWS_INIT_LOCK:-}"
mkdir -p "$KUBEADM_AWS_STATE_DIR"

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
  systemctl start "$KUBEADM_AWS_KUBELET_UNIT"
  exit 0
fi

# The AWS cloud controller manager wants the private DNS name as node name.
node_name="$(imds local-hostname)"
KUBEADM_AWS_INSTANCE_ID="$(imds instance-id)"
export KUBEADM_AWS_INSTANCE_ID
echo "$KUBEADM_AWS_INSTANCE_ID" >"$STATE_INSTANCE_ID"
hostnamectl set-hostname "$node_name"

# Own deadline (the unit has no start timeout), computed by the library (bootBudgetSeconds).
budget="$KUBEADM_AWS_BOOT_BUDGET"
deadline=$(($(date +%s) + budget))
log "boot budget ${budget}s"
# What this attempt runs: the role's action, or kubeadm join unless the init marker says init.
if [ -n "$ACTION" ]; then mode="$(basename "$ACTION")"; else mode="join"; fi
started=false
sleep "${KUBEADM_AWS_JOIN_DELAY:-0}"
attempt=1
while true; do
  "$KUBEADM_AWS_FETCH"
  if [ "$started" = false ]; then
    # Kernel modules and settings come with the bundle.
    mapfile -t modules < <(grep -v -e '^#' -e '^$' "$KUBEADM_AWS_MODULES")
    modprobe -a "${modules[@]}"
    sysctl --system >/dev/null
    systemctl enable --now "$KUBEADM_AWS_CONTAINERD_UNIT"
    [ -n "$ACTION" ] || systemctl enable "$KUBEADM_AWS_KUBELET_UNIT"
    started=true
  fi
  # shellcheck source=/dev/null
  [ -z "${KUBEADM_AWS_LOCK_ENV:-}" ] || [ ! -f "$KUBEADM_AWS_LOCK_ENV" ] || . "$KUBEADM_AWS_LOCK_ENV"
  rc=0
  if [ -n "$ACTION" ] || [ "$KUBEADM_AWS_CONTROL_PLANE" != true ]; then
    :
  elif [ -z "${KUBEADM_AWS_INIT_LOCK_TABLE:-}" ]; then
    log "no init marker table (KUBEADM_AWS_INIT_LOCK_TABLE, from $KUBEADM_AWS_LOCK_ENV in the bundle): a control-plane node never runs kubeadm without it"
    rc=1
  elif next="$("$INIT_LOCK" decide)"; then
    # Any control-plane node may claim the init: the init marker decides.
    mode="$next"
  else
    rc=$?
  fi
  if [ "$rc" = 0 ] && [ -n "${KUBEADM_AWS_BEFORE_KUBEADM:-}" ]; then
    # e.g. start this node's etcd member
    "$KUBEADM_AWS_BEFORE_KUBEADM" || { rc=$?; log "$KUBEADM_AWS_BEFORE_KUBEADM failed"; }
  fi
  if [ "$rc" != 0 ]; then
    :
  elif [ -n "$ACTION" ]; then
    "$ACTION" || { rc=$?; log "$ACTION failed"; }
  elif [ "$KUBEADM_AWS_CONTROL_PLANE" = true ]; then
    # 4: the cluster is lost (init-lock api-lost)
    "$INIT_LOCK" run "$mode" || rc=$?
    [ "$rc" != 4 ] || exit 1
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
  elif [ ! -f "$STATE_LOCAL_API" ]; then
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
