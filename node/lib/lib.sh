# shellcheck shell=bash
# kubeadm-aws: the helpers every node script sources (the one copy). Sourced after the env file, so the
# settings it names are already set. Nothing here runs on its own.

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

# retry ATTEMPTS WHAT COMMAND...: runs COMMAND until it succeeds, pausing 2, 4, ... 18, then 20 s between
# attempts (IAM and Secrets Manager propagate within minutes); fails naming WHAT after ATTEMPTS.
retry() {
  local attempts="$1" what="$2" n=1
  shift 2
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      log "$what: failed $n times"
      return 1
    fi
    sleep $((n < 10 ? n * 2 : 20))
    n=$((n + 1))
  done
}

# imds PATH: an instance metadata value (IMDSv2: a session token first), retried for a minute.
imds() {
  local n t base=http://169.254.169.254/latest
  for n in $(seq 20); do
    if t="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$base/api/token")" &&
      curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $t" "$base/meta-data/$1"; then return 0; fi
    sleep 3
  done
  log "instance metadata $1: no answer after $n attempts"
  return 1
}

# mark_unhealthy WHY: a worker whose boot failed for good asks its Auto Scaling group to replace it (control-plane
# nodes and etcd members are not in a group and never do). Never fails.
mark_unhealthy() {
  local id
  [ "${KUBEADM_AWS_CONTROL_PLANE:-false}" != true ] && [ -z "${KUBEADM_AWS_BOOT_ACTION:-}" ] || return 0
  id="${KUBEADM_AWS_INSTANCE_ID:-}"
  [ -n "$id" ] || id="$(cat "$KUBEADM_AWS_STATE_DIR/instance-id" 2>/dev/null)" || id="$(imds instance-id)" ||
    { log "cannot mark this node Unhealthy: no instance id"; return 0; }
  log "boot failed ($1): marking $id Unhealthy"
  AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=8 aws autoscaling set-instance-health --region "$KUBEADM_AWS_REGION" \
    --instance-id "$id" --health-status Unhealthy --no-should-respect-grace-period || log "could not mark $id Unhealthy"
}
