# shellcheck shell=bash
# kubeadm-aws: the helpers every node script sources (the one copy). Sourced after the env file, so the
# settings it names are already set. Nothing here runs on its own.

# The boot's durable state (KUBEADM_AWS_STATE_DIR survives reboots): one name for each file, read and written by
# the boot, the init marker and mark_unhealthy.
# shellcheck disable=SC2034 # used by the scripts that source this file
if [ -n "${KUBEADM_AWS_STATE_DIR:-}" ]; then
  STATE_INSTANCE_ID="$KUBEADM_AWS_STATE_DIR/instance-id"        # this machine's EC2 instance id
  STATE_LOCAL_API="$KUBEADM_AWS_STATE_DIR/local-api-answered"   # this node's own API answered once: never reset
  STATE_INIT_CLAIMED="$KUBEADM_AWS_STATE_DIR/init-claimed"      # this node holds (or held) the init claim
  STATE_INIT_MARKED="$KUBEADM_AWS_STATE_DIR/init-marked"        # this node recorded the cluster initialised
fi

# log_as TAG: name the calling script in its log lines (log_as kubeadm-aws-token-sync).
log_as() { KUBEADM_AWS_LOG_TAG="$1"; }
# log MESSAGE...: one line on stderr (the journal keeps it), tagged with the script and this node's role.
log() { echo "${KUBEADM_AWS_LOG_TAG:-kubeadm-aws}[${KUBEADM_AWS_ROLE:-?}]: $*" >&2; }

# api_ready [HOST:PORT]: the API's /readyz answers (anonymous, as /livez and /healthz do; nothing else is).
api_ready() { curl -sfk --max-time 5 "https://${1:-$KUBEADM_AWS_API_ENDPOINT}/readyz" >/dev/null; }

# poll SECONDS PAUSE COMMAND...: runs COMMAND every PAUSE seconds until it succeeds; fails after SECONDS.
poll() {
  local limit="$1" pause="$2" waited=0
  shift 2
  until "$@"; do
    [ "$waited" -lt "$limit" ] || return 1
    sleep "$pause"
    waited=$((waited + pause))
  done
}

# wait_for_api SECONDS [HOST:PORT]: polls /readyz every 10 s; fails (and says so) after SECONDS.
wait_for_api() {
  local limit="$1" endpoint="${2:-$KUBEADM_AWS_API_ENDPOINT}"
  poll "$limit" 10 api_ready "$endpoint" || { log "the API at $endpoint did not answer within ${limit} s"; return 1; }
}

# kubeadm_run init|join: this attempt's kubeadm with the node's config, within the boot's kubeadm timeout.
kubeadm_run() {
  case "$1" in
    init) timeout "$KUBEADM_AWS_KUBEADM_TIMEOUT" kubeadm init --config "$KUBEADM_AWS_INIT_CONFIG" --skip-token-print --skip-certificate-key-print ;;
    join) timeout "$KUBEADM_AWS_KUBEADM_TIMEOUT" kubeadm join --config "$KUBEADM_AWS_JOIN_CONFIG" ;;
    *) log "kubeadm_run: no mode $1 (init or join)"; return 64 ;;
  esac
}

# retry [--final CODE] ATTEMPTS WHAT COMMAND...: runs COMMAND until it succeeds, pausing 2, 4, ... 18, then
# 20 s between attempts (IAM and Secrets Manager propagate within minutes); fails naming WHAT after ATTEMPTS.
# With --final, exit status CODE is an answer, not a failure: returned at once, never retried.
retry() {
  local final="" attempts what n=1 rc
  if [ "$1" = --final ]; then
    final="$2"
    shift 2
  fi
  attempts="$1" what="$2"
  shift 2
  while true; do
    rc=0
    "$@" || rc=$?
    [ "$rc" != 0 ] || return 0
    [ "$rc" != "$final" ] || return "$rc"
    if [ "$n" -ge "$attempts" ]; then
      log "$what: failed $n times"
      return 1
    fi
    sleep $((n < 10 ? n * 2 : 20))
    n=$((n + 1))
  done
}

# imds_once PATH: one read of an instance metadata value (IMDSv2: a session token first).
imds_once() {
  local t base=http://169.254.169.254/latest
  t="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$base/api/token")" &&
    curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $t" "$base/meta-data/$1"
}

# imds PATH: an instance metadata value, retried for about a minute and a half.
imds() { retry 10 "instance metadata $1" imds_once "$1"; }

# mark_unhealthy WHY: a worker whose boot failed for good asks its Auto Scaling group to replace it (control-plane
# nodes and etcd members are not in a group and never do). Never fails.
mark_unhealthy() {
  local id
  [ "${KUBEADM_AWS_CONTROL_PLANE:-false}" != true ] && [ -z "${KUBEADM_AWS_BOOT_ACTION:-}" ] || return 0
  id="${KUBEADM_AWS_INSTANCE_ID:-}"
  [ -n "$id" ] || id="$(cat "$STATE_INSTANCE_ID" 2>/dev/null)" || id="$(imds instance-id)" ||
    { log "cannot mark this node Unhealthy: no instance id"; return 0; }
  log "boot failed ($1): marking $id Unhealthy"
  AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=8 aws autoscaling set-instance-health --region "$KUBEADM_AWS_REGION" \
    --instance-id "$id" --health-status Unhealthy --no-should-respect-grace-period || log "could not mark $id Unhealthy"
}
