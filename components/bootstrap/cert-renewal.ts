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
import { PORTS } from "../core/ports";
import { NODE_SCRIPTS, nodeScriptText } from "./node-scripts";
import { FILES, PATHS, UNITS } from "./paths";

/** The renewal's name: its script and its two units. */
const CERT_RENEW = "kubeadm-aws-cert-renew";

/** Paths of the renewal files on a node. */
export const CERT_RENEWAL = {
  script: FILES.certRenewScript,
  service: `${PATHS.units}/${CERT_RENEW}.service`,
  timer: `${PATHS.units}/${CERT_RENEW}.timer`,
  /** The unit name the boot enables. */
  timerUnit: `${CERT_RENEW}.timer`,
  /** node-exporter textfile collector output. */
  metrics: "/var/lib/node_exporter/textfile_collector/kubeadm_aws_certificates.prom",
  /** sha256 of the apiserver-etcd-client certificate the running API server was started with. */
  etcdClientStamp: `${PATHS.bootstrapDir}/apiserver-etcd-client.sha256`,
  /** Present from a renewal until every static Pod restarted healthy: a failed restart is retried next run. */
  pendingRestart: `${PATHS.bootstrapDir}/cert-renew-restart-pending`,
} as const;

/** Renew when the first kubeadm certificate has fewer days left than this. @default 60 */
export const DEFAULT_RENEW_DAYS = 60;

/** Seconds a static Pod's manifest stays out of the folder, for the kubelet to stop the Pod (it looks every 20 s). */
export const MANIFEST_PAUSE_SECONDS = 25;

/** Where kubeadm's control-plane components answer health checks on the node itself. */
export const KUBEADM_LOCAL_HEALTH = {
  scheduler: `https://127.0.0.1:${PORTS.scheduler}/livez`,
  controllerManager: `https://127.0.0.1:${PORTS.controllerManager}/healthz`,
  /** Stacked etcd's metrics listener answers /health in plain HTTP on loopback. */
  etcd: `http://127.0.0.1:${PORTS.etcdMetrics}/health`,
} as const;

/** `kubeadm-aws-cert-renew` (node/sbin/kubeadm-aws-cert-renew.sh): its settings come from the env file. */
export function certRenewScript(): string {
  return nodeScriptText(NODE_SCRIPTS.certRenew.source);
}

export function certRenewServiceUnit(): string {
  return `[Unit]
Description=kubeadm-aws: renew control-plane certificates before they expire
After=network-online.target ${UNITS.kubelet}
ConditionPathExists=${FILES.adminConf}

[Service]
Type=oneshot
Environment=KUBEADM_AWS_ENV=${FILES.env}
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
