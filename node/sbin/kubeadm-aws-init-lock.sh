#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: the cluster's init marker (DynamoDB item "init"). Exactly one control-plane node runs
# kubeadm init, once in the cluster's life; the others join. Subcommands:
#   decide            print init (this node holds the claim) or join (the cluster is initialised);
#                     exit 3 if a live node holds the claim and has not initialised within the wait
#   claim             one look: print init, join or "held <owner>"
#   takeover OWNER    take the claim from OWNER (gone) unless the cluster is initialised; exit 2 if lost
#   mark-initialized  record initializedAt (the owner only)
#   release           give the claim up (the owner only, never once initialised)
#   failed            after a failed boot: release, if this node claimed and never had an API
#   rebooted          a bootstrapped node that claimed init: refuse to start a cluster that lost its claim,
#                     else start kubelet and finish the mark once its API answers
#   api-lost          the initialised cluster's API does not answer: say so; exit 1 on a single control plane
#   run MODE          this attempt's kubeadm: init (or, once its API answered, init's remaining phases; never a
#                     reset), or wait for the API and join; records on disk when the local API answered.
#                     Exit 4: the cluster is lost and this node must not create another (api-lost)
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
log_as kubeadm-aws-init-lock
INIT_CONFIG="$KUBEADM_AWS_INIT_CONFIG"
LOCAL_API="$KUBEADM_AWS_LOCAL_API"
# shellcheck source=/dev/null
[ ! -f "$KUBEADM_AWS_LOCK_ENV" ] || . "$KUBEADM_AWS_LOCK_ENV"
TABLE="${KUBEADM_AWS_INIT_LOCK_TABLE:-}"
ME="${KUBEADM_AWS_INSTANCE_ID:-$(cat "$STATE_INSTANCE_ID" 2>/dev/null || echo unknown)}"
KEY='{"id":{"S":"init"}}'
NAMES='{"#o":"owner"}'
mkdir -p "$KUBEADM_AWS_STATE_DIR"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
values() { # values :name value ...: DynamoDB string attribute values as JSON
  local out="" sep=""
  while [ "$#" -ge 2 ]; do out="$out$sep\"$1\":{\"S\":\"$2\"}"; sep=","; shift 2; done
  echo "{$out}"
}

# ddb_once OPERATION ARGS...: one call; 2 = the condition failed (an answer, not an error).
ddb_once() {
  local err rc=0
  err="$(mktemp)"
  aws dynamodb "$@" --region "$KUBEADM_AWS_REGION" --table-name "$TABLE" 2>"$err" || rc=$?
  if [ "$rc" != 0 ] && grep -q ConditionalCheckFailed "$err"; then
    rc=2
  elif [ "$rc" != 0 ]; then
    log "dynamodb $1 on $TABLE: $(tr '\n' ' ' <"$err")"
    rc=1
  fi
  rm -f "$err"
  return "$rc"
}

# ddb OPERATION ARGS...: retried on throttling, network and IAM propagation errors; 2 = condition failed.
ddb() {
  [ -n "$TABLE" ] || { log "no init marker table (KUBEADM_AWS_INIT_LOCK_TABLE)"; return 1; }
  retry --final 2 10 "dynamodb $1 on $TABLE" ddb_once "$@"
}

# Sets owner and initialized_at (None when absent), strongly consistent.
read_item() {
  local out
  out="$(ddb get-item --key "$KEY" --consistent-read --query '[Item.owner.S, Item.initializedAt.S]' --output text)" || return 1
  read -r owner initialized_at <<<"$out"
}

# Whether the claimant is gone: terminated, stopped or not found (or it released the claim).
owner_gone() {
  local out
  [ "$1" != released ] || return 0
  if out="$(aws ec2 describe-instances --region "$KUBEADM_AWS_REGION" --instance-ids "$1" \
      --query 'Reservations[].Instances[].State.Name' --output text 2>&1)"; then
    case "$out" in "" | terminated | shutting-down | stopping | stopped) return 0 ;; esac
    return 1
  fi
  case "$out" in *InvalidInstanceID.NotFound* | *InvalidInstanceID.Malformed*) return 0 ;; esac
  log "cannot tell whether $1 is alive: $out"
  return 1
}

takeover() {
  ddb update-item --key "$KEY" --update-expression 'SET #o = :me, claimedAt = :t, previousOwner = :old' \
    --condition-expression '#o = :old AND attribute_not_exists(initializedAt)' --expression-attribute-names "$NAMES" \
    --expression-attribute-values "$(values :me "$ME" :t "$(now)" :old "$1")" >/dev/null
}

# An empty marker does not prove there is no cluster: one created before the marker existed, or whose table was
# re-created. If the API answers behind the stable name, record the cluster as initialised (adopted) and join.
adopt_living_cluster() {
  local n probes="${KUBEADM_AWS_ADOPT_PROBES:-6}"
  for n in $(seq "$probes"); do
    if api_ready "$KUBEADM_AWS_API_ENDPOINT"; then
      ddb put-item --item "$(values id init owner adopted initializedAt "$(now)")" --condition-expression 'attribute_not_exists(id)' >/dev/null || true
      log "the init marker was empty but the API answers: adopted the living cluster; joining"
      return 0
    fi
    [ "$n" = "$probes" ] || sleep 5
  done
  return 1
}

claim() {
  local tries rc
  for tries in 1 2 3 4 5; do
    read_item || return 1
    # The claimant stays the initialiser (it finishes its own init, marked or not); a replacement has another id.
    if [ "$owner" = "$ME" ]; then touch "$STATE_INIT_CLAIMED"; echo init; return 0; fi
    if [ "$initialized_at" != None ]; then echo join; return 0; fi
    # Never claim what this node cannot do.
    if [ ! -f "$INIT_CONFIG" ]; then echo "held ${owner}"; return 0; fi
    rc=0
    if [ "$owner" = None ] && adopt_living_cluster; then
      echo join
      return 0
    elif [ "$owner" = None ]; then
      ddb put-item --item "$(values id init owner "$ME" claimedAt "$(now)")" --condition-expression 'attribute_not_exists(id)' >/dev/null || rc=$?
      [ "$rc" -ne 0 ] || log "claimed the cluster's init"
    elif owner_gone "$owner"; then
      takeover "$owner" || rc=$?
      [ "$rc" -ne 0 ] || log "took the init claim over from $owner (gone)"
    else
      echo "held $owner"
      return 0
    fi
    case "$rc" in
      0) touch "$STATE_INIT_CLAIMED"; echo init; return 0 ;;
      2) log "another node changed the init marker first (look $tries); looking again" ;;
      *) return 1 ;;
    esac
  done
  return 1
}

# decided: one look (claim) that settles it: init, join, or an error; sets answer. Fails while a live node holds the claim.
decided() {
  answer="$(claim)" || answer=error
  case "$answer" in init | join | error) return 0 ;; esac
  return 1
}

decide() {
  answer=""
  if ! poll "$KUBEADM_AWS_API_WAIT_SECONDS" 10 decided; then
    log "init claim $answer, cluster not initialised after ${KUBEADM_AWS_API_WAIT_SECONDS}s"
    return 3
  fi
  [ "$answer" != error ] || return 1
  echo "$answer"
}

mark_initialized() {
  local rc=0
  [ ! -f "$STATE_INIT_MARKED" ] || return 0
  ddb update-item --key "$KEY" --update-expression 'SET initializedAt = if_not_exists(initializedAt, :t)' \
    --condition-expression '#o = :me' --expression-attribute-names "$NAMES" \
    --expression-attribute-values "$(values :me "$ME" :t "$(now)")" >/dev/null || rc=$?
  if [ "$rc" -eq 2 ]; then log "cannot mark the cluster initialised: this node no longer holds the init claim"; fi
  [ "$rc" -eq 0 ] || return 1
  touch "$STATE_INIT_MARKED"
  log "marked the cluster initialised"
}

release() {
  local rc=0
  ddb update-item --key "$KEY" --update-expression 'SET #o = :rel, releasedBy = :me, releasedAt = :t' \
    --condition-expression '#o = :me AND attribute_not_exists(initializedAt)' --expression-attribute-names "$NAMES" \
    --expression-attribute-values "$(values :rel released :me "$ME" :t "$(now)")" >/dev/null || rc=$?
  rm -f "$STATE_INIT_CLAIMED"
  [ "$rc" -ne 0 ] || log "released the init claim: another control-plane node may initialise"
  return "$rc"
}

# The boot failed: a claimant that never had an API gives the claim back, so another node may init.
failed() {
  [ -f "$STATE_INIT_CLAIMED" ] && [ ! -f "$STATE_LOCAL_API" ] || return 0
  # Its control plane must not come up later next to the one another node initialises: stop and reset it
  # first (safe: its API never answered, so nobody joined it).
  systemctl stop "$KUBEADM_AWS_KUBELET_UNIT" >/dev/null 2>&1 || true
  kubeadm reset --force >/dev/null 2>&1 || true
  release
}

rebooted() {
  [ -f "$STATE_INIT_CLAIMED" ] && [ ! -f "$STATE_INIT_MARKED" ] || return 0
  read_item
  if [ "$owner" != "$ME" ]; then
    log "this node's kubeadm init was interrupted and $owner holds the claim now: not starting kubelet (it would run a second cluster); terminate this instance"
    return 1
  fi
  systemctl start "$KUBEADM_AWS_KUBELET_UNIT"
  # As long as kubeadm itself would wait for it.
  poll "$KUBEADM_AWS_KUBEADM_TIMEOUT" 2 api_ready "$LOCAL_API" || { log "the local API did not answer after reboot"; return 1; }
  touch "$STATE_LOCAL_API"
  # kubeadm init was interrupted after its API came up: finish its remaining phases (cluster-info, the join
  # token, the add-ons) before marking, or no node could ever join.
  run init
}

api_lost() {
  read_item || true
  log "the cluster was initialised at $initialized_at by $owner, but its API at $KUBEADM_AWS_API_ENDPOINT does not answer"
  if [ "${KUBEADM_AWS_CONTROL_PLANE_COUNT:-3}" -le 1 ]; then
    log "this is the cluster's only control-plane node: it will not run kubeadm init over the lost cluster (that would start an empty one)."
    log "Restore etcd from a snapshot: $KUBEADM_AWS_RESTORE_RUNBOOK; then see docs/bootstrap.md, \"Init marker\"."
    return 1
  fi
}

# Once this node's own API answered it is (or hosts) the cluster: recorded on disk, never reset after.
watch_local_api() {
  poll "$KUBEADM_AWS_KUBEADM_TIMEOUT" 2 api_ready "$LOCAL_API" || return 1
  touch "$STATE_LOCAL_API"
  log "the local API answered; this node is never reset from now on"
  if [ "$1" = init ]; then mark_initialized; fi
}

run() {
  local mode="$1" watcher rc=0 phase phases
  if [ "$mode" = init ] && [ -f "$STATE_LOCAL_API" ]; then
    log "finishing kubeadm init after its API answered (the phases after wait-control-plane; no reset)"
    IFS=',' read -r -a phases <<<"$KUBEADM_AWS_INIT_RESUME_PHASES"
    for phase in "${phases[@]}"; do
      # shellcheck disable=SC2086 # a phase and its sub-phase
      timeout "$KUBEADM_AWS_KUBEADM_TIMEOUT" kubeadm init phase $phase --config "$INIT_CONFIG" || return $?
    done
    mark_initialized
    return
  fi
  if [ "$mode" = join ] && ! wait_for_api "$KUBEADM_AWS_API_WAIT_SECONDS"; then
    api_lost || return 4
    return 1
  fi
  watch_local_api "$mode" &
  watcher=$!
  if [ "$mode" = init ]; then
    kubeadm_run init || rc=$?
  else
    kubeadm_run join || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    kill "$watcher" 2>/dev/null || true
    return "$rc"
  fi
  wait "$watcher" || true
  if [ "$mode" = init ]; then
    # kubeadm init succeeded, so its API answered (wait-control-plane): mark it, if the watcher did not.
    touch "$STATE_LOCAL_API"
    mark_initialized
  fi
}

owner=None
initialized_at=None
case "${1:-}" in
  decide) decide ;;
  claim) claim ;;
  takeover) takeover "$2" ;;
  mark-initialized) mark_initialized ;;
  release) release ;;
  failed) failed ;;
  rebooted) rebooted ;;
  api-lost) api_lost ;;
  run) run "$2" ;;
  *) echo "usage: $0 decide|claim|takeover OWNER|mark-initialized|release|failed|rebooted|api-lost|run MODE" >&2; exit 64 ;;
esac
