/**
 * `kubeadm-aws-boot`, the one boot script of every role (docs/bootstrap.md, "How a node boots" and
 * "Init marker"). Static: role settings come from the env file. It runs in user data, which is near
 * EC2's 16 KiB on control-plane nodes, so the init marker's protocol lives in `kubeadm-aws-init-lock`
 * (init-lock.ts), delivered through the bundle; this script only calls it.
 */
import { INIT_LOCK_FILES, KUBEADM_TIMEOUT_SECONDS } from "./init-lock";
import { FILES } from "./paths";

export { KUBEADM_TIMEOUT_SECONDS };
/** Pause between attempts. */
export const RETRY_PAUSE_SECONDS = 20;
/** Added to the attempts' waits for bundle fetches, hooks and kubeadm runs. */
export const BOOT_BUDGET_MARGIN_SECONDS = 3600;

/**
 * The boot's own deadline, what the script computes from its env (`KUBEADM_AWS_BOOT_BUDGET` overrides):
 * join delay + attempts × (API wait + pause) + margin. The unit's TimeoutStartSec is `infinity`, so
 * systemd never kills a boot that is still within it; the script gives up at it.
 */
export function bootBudgetSeconds(e: { joinDelaySeconds: number; maxAttempts: number; apiWaitSeconds: number }): number {
  return e.joinDelaySeconds + e.maxAttempts * (e.apiWaitSeconds + RETRY_PAUSE_SECONDS) + BOOT_BUDGET_MARGIN_SECONDS;
}

/** The boot: name the node, fetch the bundle, decide init or join, kubeadm (retried), start the token sync. */
export function bootScript(): string {
  return `#!/bin/bash
# kubeadm-aws: start this node with what the image has (no download), as the env file says.
# shellcheck disable=SC1090 # the env files
set -euo pipefail
ENV_FILE="\${KUBEADM_AWS_ENV:-${FILES.env}}"
FETCH="\${KUBEADM_AWS_FETCH:-${FILES.fetchScript}}"
INIT_LOCK="\${KUBEADM_AWS_INIT_LOCK:-${INIT_LOCK_FILES.script}}"
LOCK_ENV="\${KUBEADM_AWS_LOCK_ENV:-${INIT_LOCK_FILES.env}}"
STATE="\${KUBEADM_AWS_STATE_DIR:-${INIT_LOCK_FILES.stateDir}}"
IMDS=http://169.254.169.254/latest
. "$ENV_FILE"
log() { echo "kubeadm-aws[$KUBEADM_AWS_ROLE]: $*"; }
mkdir -p "$STATE"
id=""
# Failed: give an init claim back (init-lock); a worker asks its group to replace it.
on_exit() {
  local rc=$?
  [ "$rc" != 0 ] || return 0
  [ ! -x "$INIT_LOCK" ] || "$INIT_LOCK" failed || true
  [ "$KUBEADM_AWS_CONTROL_PLANE" != true ] && [ -n "$id" ] || return 0
  log "boot failed (exit $rc): marking $id Unhealthy"
  AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=8 aws autoscaling set-instance-health --region "$KUBEADM_AWS_REGION" \\
    --instance-id "$id" --health-status Unhealthy --no-should-respect-grace-period || log "could not mark $id Unhealthy"
}
trap on_exit EXIT

if [ -f /etc/kubernetes/kubelet.conf ]; then
  [ ! -x "$INIT_LOCK" ] || "$INIT_LOCK" rebooted
  log "already bootstrapped; starting kubelet"
  systemctl start kubelet
  exit 0
fi

# IMDSv2, retried
imds() {
  local n t
  for n in $(seq 20); do
    if t="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/api/token")" &&
      curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $t" "$IMDS/meta-data/$1"; then return 0; fi
    sleep 3
  done
  log "instance metadata $1: no answer after $n attempts" >&2
  return 1
}
# The AWS cloud controller manager wants the private DNS name as node name.
node_name="$(imds local-hostname)"
id="$(imds instance-id)"
echo "$id" >"$STATE/instance-id"
export KUBEADM_AWS_INSTANCE_ID="$id"
hostnamectl set-hostname "$node_name"

modprobe overlay
modprobe br_netfilter
sysctl --system >/dev/null
systemctl enable --now containerd
systemctl enable kubelet

# /readyz answers anonymous requests (as do /livez and /healthz, and nothing else).
api_ready() { curl -sfk --max-time 5 "https://$KUBEADM_AWS_API_ENDPOINT/readyz" >/dev/null; }
wait_for_api() {
  local waited=0
  until api_ready; do
    [ "$waited" -lt "$KUBEADM_AWS_API_WAIT_SECONDS" ] || { log "the API did not answer within $waited s"; return 1; }
    sleep 10
    waited=$((waited + 10))
  done
}

# Own deadline: the unit has no start timeout.
budget="\${KUBEADM_AWS_BOOT_BUDGET:-$((KUBEADM_AWS_JOIN_DELAY + KUBEADM_AWS_MAX_ATTEMPTS * (KUBEADM_AWS_API_WAIT_SECONDS + ${RETRY_PAUSE_SECONDS}) + ${BOOT_BUDGET_MARGIN_SECONDS}))}"
deadline=$(($(date +%s) + budget))
log "boot budget \${budget}s"
mode="$KUBEADM_AWS_MODE"
locked=false
[ "$mode" != join ] || sleep "$KUBEADM_AWS_JOIN_DELAY"
attempt=1
while true; do
  "$FETCH"
  [ ! -f "$LOCK_ENV" ] || . "$LOCK_ENV"
  rc=0
  if [ "$KUBEADM_AWS_CONTROL_PLANE" = true ] && [ -n "\${KUBEADM_AWS_INIT_LOCK_TABLE:-}" ]; then
    # Any control-plane node may claim the init: the init marker decides.
    locked=true
    if next="$("$INIT_LOCK" decide)"; then mode="$next"; else rc=$?; fi
  elif [ "$attempt" = 1 ] && [ "$mode" = init ] && api_ready; then
    log "the API already answers; joining instead of kubeadm init"
    mode="join"
  fi
  if [ "$rc" = 0 ] && [ -n "\${KUBEADM_AWS_BEFORE_KUBEADM:-}" ]; then
    # e.g. start this node's etcd member
    "$KUBEADM_AWS_BEFORE_KUBEADM" || { rc=$?; log "$KUBEADM_AWS_BEFORE_KUBEADM failed"; }
  fi
  if [ "$rc" != 0 ]; then
    :
  elif [ "$locked" = true ]; then
    # 4: the cluster is lost (init-lock api-lost)
    "$INIT_LOCK" run "$mode" || rc=$?
    [ "$rc" != 4 ] || exit 1
  elif [ "$mode" = init ]; then
    timeout ${KUBEADM_TIMEOUT_SECONDS} kubeadm init --config ${FILES.initConfig} --skip-token-print --skip-certificate-key-print || rc=$?
  elif wait_for_api; then
    timeout ${KUBEADM_TIMEOUT_SECONDS} kubeadm join --config ${FILES.joinConfig} || rc=$?
  else
    rc=1
  fi
  [ "$rc" != 0 ] || break
  if [ "$attempt" -ge "$KUBEADM_AWS_MAX_ATTEMPTS" ] || [ "$(date +%s)" -ge "$deadline" ]; then
    log "kubeadm $mode failed $attempt times (boot budget \${budget}s); giving up"
    exit 1
  fi
  if [ ! -f "$STATE/local-api-answered" ]; then
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
  sleep ${RETRY_PAUSE_SECONDS}
done

# Units from the bundle (the token sync, certificate renewal, etcd backups): systemd must see them first.
systemctl daemon-reload
[ "$KUBEADM_AWS_CONTROL_PLANE" != true ] || systemctl enable --now kubeadm-aws-token-sync.timer
if [ -n "\${KUBEADM_AWS_ENABLE_UNITS:-}" ]; then
  IFS=',' read -r -a units <<<"$KUBEADM_AWS_ENABLE_UNITS"
  systemctl enable --now "\${units[@]}"
fi
log "node bootstrapped ($mode)"
`;
}
