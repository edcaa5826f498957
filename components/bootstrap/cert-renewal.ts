/**
 * Certificate renewal on control-plane nodes, pure strings. kubeadm issues the API server, kubelet
 * client, front-proxy client, stacked etcd certificates and the admin, super-admin,
 * controller-manager and scheduler kubeconfigs for one year; nothing renews them but `kubeadm certs
 * renew` (or an upgrade). A daily timer checks the expiry of each and, when the first falls inside the
 * renewal window, renews them all and restarts the static Pods one at a time, waiting for each to be
 * healthy again. Certificates Pulumi mints (apiserver-etcd-client with external etcd) are renewed by
 * `pulumi up` (earlyRenewalHours) and reach the node with the bundle (re-read hourly by the token
 * sync); the timer restarts the API server when that file changed. The kubelet rotates its own client
 * certificate (`rotateCertificates`).
 *
 * Expiry is visible three ways: a journal line per certificate, a node-exporter textfile
 * (`kubeadm_aws_certificate_expiry_seconds{name=...}`), and the unit's failure when renewal fails.
 */
import { API_PORT } from "../api-endpoint/settings";
import { FILES, PATHS } from "./paths";

/** Paths of the renewal files on a node. */
export const CERT_RENEWAL = {
  script: `${PATHS.sbin}/kubeadm-aws-cert-renew`,
  service: `${PATHS.units}/kubeadm-aws-cert-renew.service`,
  timer: `${PATHS.units}/kubeadm-aws-cert-renew.timer`,
  /** The unit name the boot enables. */
  timerUnit: "kubeadm-aws-cert-renew.timer",
  /** node-exporter textfile collector output. */
  metrics: "/var/lib/node_exporter/textfile_collector/kubeadm_aws_certificates.prom",
  /** sha256 of the apiserver-etcd-client certificate the running API server was started with. */
  etcdClientStamp: `${PATHS.bootstrapDir}/apiserver-etcd-client.sha256`,
  /** Present from a renewal until every static Pod restarted healthy: a failed restart is retried next run. */
  pendingRestart: `${PATHS.bootstrapDir}/cert-renew-restart-pending`,
} as const;

/** Renew when the first kubeadm certificate has fewer days left than this. @default 60 */
export const DEFAULT_RENEW_DAYS = 60;

export function certRenewScript(): string {
  return `#!/bin/bash
# kubeadm-aws: renew kubeadm's certificates before they expire and restart the static Pods that use
# them, one at a time. Safe to run at any time: it does nothing while every certificate has more than
# KUBEADM_AWS_CERT_RENEW_DAYS days left.
set -euo pipefail
ENV_FILE="\${KUBEADM_AWS_ENV:-${FILES.env}}"
# shellcheck source=/dev/null
[ -f "$ENV_FILE" ] && . "$ENV_FILE"
RENEW_DAYS="\${KUBEADM_AWS_CERT_RENEW_DAYS:-${DEFAULT_RENEW_DAYS}}"
MANIFESTS="\${KUBEADM_AWS_MANIFESTS:-/etc/kubernetes/manifests}"
PKI="\${KUBEADM_AWS_PKI:-${PATHS.pki}}"
# How long a manifest stays out of the folder for the kubelet to stop its Pod (it looks every 20 s).
PAUSE="\${KUBEADM_AWS_MANIFEST_PAUSE:-25}"
METRICS="\${KUBEADM_AWS_CERT_METRICS:-${CERT_RENEWAL.metrics}}"
STAMP="\${KUBEADM_AWS_ETCD_CLIENT_STAMP:-${CERT_RENEWAL.etcdClientStamp}}"
PENDING="\${KUBEADM_AWS_CERT_RESTART_PENDING:-${CERT_RENEWAL.pendingRestart}}"
log() { echo "kubeadm-aws-cert-renew: $*"; }

report="$(kubeadm certs check-expiration -o json)"
# name, seconds left, managed by kubeadm (true/false): one line per certificate.
listing="$(python3 -c '
import datetime, json, sys
info = json.load(sys.stdin)
now = datetime.datetime.now(datetime.timezone.utc)
for c in info.get("certificates", []) + info.get("certificateAuthorities", []):
    if c.get("missing"):
        continue
    when = datetime.datetime.fromisoformat(c["expirationDate"].replace("Z", "+00:00"))
    ca = "true" if c in info.get("certificateAuthorities", []) else "false"
    print(c["name"], int((when - now).total_seconds()), "false" if c.get("externallyManaged") else "true", ca)
' <<<"$report")"

mkdir -p "$(dirname "$METRICS")"
{
  echo "# HELP kubeadm_aws_certificate_expiry_seconds Seconds until a control-plane certificate expires."
  echo "# TYPE kubeadm_aws_certificate_expiry_seconds gauge"
  while read -r name left _managed ca; do
    echo "kubeadm_aws_certificate_expiry_seconds{name=\\"$name\\",ca=\\"$ca\\"} $left"
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
  local waited=0
  until curl -sfk --max-time 5 "$health" >/dev/null; do
    if [ "$waited" -ge 300 ]; then
      log "$pod is not healthy 300 s after its restart ($health)"
      return 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
  log "$pod restarted and healthy"
}

restart_control_plane() {
  restart_pod kube-scheduler https://127.0.0.1:10259/livez
  restart_pod kube-controller-manager https://127.0.0.1:10257/healthz
  restart_pod kube-apiserver "https://127.0.0.1:${API_PORT}/readyz"
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
  restart_pod etcd http://127.0.0.1:2381/health
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
    restart_pod kube-apiserver "https://127.0.0.1:${API_PORT}/readyz"
    echo "$current" >"$STAMP"
  fi
fi
`;
}

export function certRenewServiceUnit(): string {
  return `[Unit]
Description=kubeadm-aws: renew control-plane certificates before they expire
After=network-online.target kubelet.service
ConditionPathExists=/etc/kubernetes/admin.conf

[Service]
Type=oneshot
ExecStart=${CERT_RENEWAL.script}
`;
}

export function certRenewTimerUnit(): string {
  return `[Unit]
Description=kubeadm-aws: check control-plane certificates daily

[Timer]
OnBootSec=15min
OnUnitActiveSec=1d
RandomizedDelaySec=6h
Persistent=true

[Install]
WantedBy=timers.target
`;
}
