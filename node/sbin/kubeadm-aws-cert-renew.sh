#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: renew kubeadm's certificates before they expire and restart the static Pods that use
# them, one at a time. Safe to run at any time: it does nothing while every certificate has more than
# KUBEADM_AWS_CERT_RENEW_DAYS days left.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
log_as kubeadm-aws-cert-renew
RENEW_DAYS="$KUBEADM_AWS_CERT_RENEW_DAYS"
MANIFESTS="$KUBEADM_AWS_MANIFESTS"
PKI="$KUBEADM_AWS_PKI"
# How long a manifest stays out of the folder for the kubelet to stop its Pod.
PAUSE="$KUBEADM_AWS_MANIFEST_PAUSE"
METRICS="$KUBEADM_AWS_CERT_METRICS"
STAMP="$KUBEADM_AWS_ETCD_CLIENT_STAMP"
PENDING="$KUBEADM_AWS_CERT_RESTART_PENDING"

report="$(kubeadm certs check-expiration -o json)"
# One line per certificate and CA: name, seconds left, managed by kubeadm, is a CA (node/lib/cert-expiry.py).
listing="$(python3 "$KUBEADM_AWS_CERT_EXPIRY" <<<"$report")"

mkdir -p "$(dirname "$METRICS")"
{
  echo "# HELP kubeadm_aws_certificate_expiry_seconds Seconds until a control-plane certificate expires."
  echo "# TYPE kubeadm_aws_certificate_expiry_seconds gauge"
  while read -r name left _managed ca; do
    echo "kubeadm_aws_certificate_expiry_seconds{name=\"$name\",ca=\"$ca\"} $left"
  done <<<"$listing"
} >"$METRICS.tmp"
mv "$METRICS.tmp" "$METRICS"

renew=false
while read -r name left managed ca; do
  log "$name expires in $((left / 86400)) days"
  if [ "$managed" = true ] && [ "$ca" = false ] && [ "$left" -lt $((RENEW_DAYS * 86400)) ]; then
    renew=true
  fi
  if [ "$ca" = true ] && [ "$left" -lt $((KUBEADM_AWS_CA_WARNING_DAYS * 86400)) ]; then
    log "WARNING: CA $name expires in less than $KUBEADM_AWS_CA_WARNING_DAYS days; rotating a CA is a planned operation (docs/bootstrap.md)"
  fi
done <<<"$listing"

restart_pod() {
  local pod="$1" health="$2"
  [ -f "$MANIFESTS/$pod.yaml" ] || return 0
  local parked
  parked="$(mktemp -d)"
  mv "$MANIFESTS/$pod.yaml" "$parked/"
  sleep "$PAUSE"
  mv "$parked/$pod.yaml" "$MANIFESTS/"
  rmdir "$parked"
  poll "$KUBEADM_AWS_POD_HEALTH_WAIT" 2 curl -sfk --max-time 5 -o /dev/null "$health" ||
    { log "$pod is not healthy $KUBEADM_AWS_POD_HEALTH_WAIT s after its restart ($health)"; return 1; }
  log "$pod restarted and healthy"
}

# The static Pods, in restart order, each with its health URL (POD=URL, from the library's STATIC_POD_RESTARTS).
IFS=',' read -r -a STATIC_PODS <<<"$KUBEADM_AWS_STATIC_PODS"

# health_of POD: the URL POD answers once healthy.
health_of() {
  local p
  for p in "${STATIC_PODS[@]}"; do
    if [ "${p%%=*}" = "$1" ]; then echo "${p#*=}"; return 0; fi
  done
  log "no health URL for static Pod $1"
  return 1
}

# Every static Pod in turn; a stacked etcd first (its manifest is absent with external etcd, and skipped).
restart_static_pods() {
  local p
  for p in "${STATIC_PODS[@]}"; do restart_pod "${p%%=*}" "${p#*=}"; done
}

if [ "$renew" = true ]; then
  log "renewing every kubeadm certificate (the first expires within $RENEW_DAYS days)"
  # Recorded before the files change: if a restart below fails, the next run restarts again (the renewed
  # files alone would no longer look due, and the Pods would keep serving the old certificates).
  touch "$PENDING"
  kubeadm certs renew all
fi
if [ -f "$PENDING" ]; then
  [ "$renew" = true ] || log "restarting the static Pods after an earlier renewal whose restarts did not finish"
  restart_static_pods
  rm -f "$PENDING"
fi

# External etcd: Pulumi renews the API server's etcd client certificate; restart the API server
# once when the bundle brought a new one.
if [ -f "$PKI/apiserver-etcd-client.crt" ] && ! grep -q '"apiserver-etcd-client"' <<<"$report"; then
  current="$(sha256sum "$PKI/apiserver-etcd-client.crt" | cut -d' ' -f1)"
  if [ ! -f "$STAMP" ]; then
    echo "$current" >"$STAMP"
  elif [ "$(cat "$STAMP")" != "$current" ]; then
    log "apiserver-etcd-client.crt changed (renewed by pulumi up); restarting $KUBEADM_AWS_API_SERVER_POD"
    restart_pod "$KUBEADM_AWS_API_SERVER_POD" "$(health_of "$KUBEADM_AWS_API_SERVER_POD")"
    echo "$current" >"$STAMP"
  fi
fi
