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
  if [ "$ca" = true ] && [ "$left" -lt $((365 * 86400)) ]; then
    log "WARNING: CA $name expires in less than a year; rotating a CA is a planned operation (docs/bootstrap.md)"
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
  poll 300 2 curl -sfk --max-time 5 -o /dev/null "$health" || { log "$pod is not healthy 300 s after its restart ($health)"; return 1; }
  log "$pod restarted and healthy"
}

restart_control_plane() {
  restart_pod kube-scheduler "$KUBEADM_AWS_SCHEDULER_HEALTH"
  restart_pod kube-controller-manager "$KUBEADM_AWS_CONTROLLER_MANAGER_HEALTH"
  restart_pod kube-apiserver "https://$KUBEADM_AWS_LOCAL_API/readyz"
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
  # Stacked etcd (its metrics listener answers /health in plain HTTP on loopback).
  restart_pod etcd "$KUBEADM_AWS_ETCD_HEALTH"
  restart_control_plane
  rm -f "$PENDING"
fi

# External etcd: Pulumi renews the API server's etcd client certificate; restart the API server
# once when the bundle brought a new one.
if [ -f "$PKI/apiserver-etcd-client.crt" ] && ! grep -q '"apiserver-etcd-client"' <<<"$report"; then
  current="$(sha256sum "$PKI/apiserver-etcd-client.crt" | cut -d' ' -f1)"
  if [ ! -f "$STAMP" ]; then
    echo "$current" >"$STAMP"
  elif [ "$(cat "$STAMP")" != "$current" ]; then
    log "apiserver-etcd-client.crt changed (renewed by pulumi up); restarting kube-apiserver"
    restart_pod kube-apiserver "https://$KUBEADM_AWS_LOCAL_API/readyz"
    echo "$current" >"$STAMP"
  fi
fi
