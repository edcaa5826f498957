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
import { apiHostPort, PORTS } from "../core/ports";
import { NODE_SCRIPTS, nodeScriptText } from "./node-scripts";
import { FILES, PATHS, UNITS } from "./paths";
import { periodicUnit, type PeriodicUnits } from "./units";

/** Paths of the renewal files on a node (its unit names: `UNITS.certRenewService`, `UNITS.certRenewTimer`). */
export const CERT_RENEWAL = {
  script: FILES.certRenewScript,
  service: `${PATHS.units}/${UNITS.certRenewService}`,
  timer: `${PATHS.units}/${UNITS.certRenewTimer}`,
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
  apiServer: `https://${apiHostPort("127.0.0.1")}/readyz`,
} as const;

/** kubeadm's static Pod of the API server (its manifest is `<name>.yaml`): restarted alone when Pulumi renewed its etcd client certificate. */
export const API_SERVER_POD = "kube-apiserver";

/**
 * The static Pods a renewal restarts, in this order (a Pod whose manifest is absent is skipped: etcd without
 * stacked etcd), each with the health URL it must answer before the next one restarts.
 */
export const STATIC_POD_RESTARTS: readonly { pod: string; health: string }[] = [
  { pod: "etcd", health: KUBEADM_LOCAL_HEALTH.etcd },
  { pod: "kube-scheduler", health: KUBEADM_LOCAL_HEALTH.scheduler },
  { pod: "kube-controller-manager", health: KUBEADM_LOCAL_HEALTH.controllerManager },
  { pod: API_SERVER_POD, health: KUBEADM_LOCAL_HEALTH.apiServer },
];

/** Seconds a restarted static Pod has to answer its health URL before the renewal fails (and retries next run). */
export const POD_HEALTH_WAIT_SECONDS = 300;

/** A CA with less than this many days left is reported (rotating a CA is a planned operation, never automatic). */
export const CA_WARNING_DAYS = 365;

/** `kubeadm-aws-cert-renew` (node/sbin/kubeadm-aws-cert-renew.sh): its settings come from the env file. */
export function certRenewScript(): string {
  return nodeScriptText(NODE_SCRIPTS.certRenew.source);
}

/** The renewal's service and its daily timer (`CERT_RENEWAL.service`, `CERT_RENEWAL.timer`), once kubeadm wrote admin.conf. */
export function certRenewUnits(): PeriodicUnits {
  return periodicUnit({
    description: "kubeadm-aws: renew control-plane certificates before they expire",
    timerDescription: "kubeadm-aws: check control-plane certificates daily",
    execStart: CERT_RENEWAL.script,
    after: ["network-online.target", UNITS.kubelet],
    conditionPathExists: FILES.adminConf,
    schedule: { onBootSec: "15min", onUnitActiveSec: "1d", randomizedDelaySec: "6h", persistent: true },
  });
}
