/**
 * The boot's env file, and the node scripts every role installs. The scripts are real files under
 * `node/` (node-scripts.ts), installed as they are: everything role-specific, and every path, name
 * and limit they use, comes from the env file rendered here, so one reviewed script serves every role
 * and each fact keeps its one TypeScript source.
 */
import { apiHostPort } from "../core/ports";
import {
  API_SERVER_POD,
  CA_WARNING_DAYS,
  CERT_RENEWAL,
  DEFAULT_RENEW_DAYS,
  MANIFEST_PAUSE_SECONDS,
  POD_HEALTH_WAIT_SECONDS,
  STATIC_POD_RESTARTS,
} from "./cert-renewal";
import { renderEnvFile, type EnvEntry } from "./env-file";
import { BUNDLE_FORMAT } from "./files";
import { INIT_LOCK_FILES, INIT_RESUME_PHASES, KUBEADM_TIMEOUT_SECONDS, RESTORE_RUNBOOK } from "./init-lock";
import { BOOTSTRAP_TOKEN_GROUP, TOKEN_DESCRIPTION } from "./kubeadm";
import { NODE_SCRIPTS, nodeScriptText } from "./node-scripts";
import { FILES, PATHS, UNITS } from "./paths";

// The boot script and the init marker live in their own modules; exported from here with the other scripts.
export { BOOT_BUDGET_MARGIN_SECONDS, KUBEADM_TIMEOUT_SECONDS, RETRY_PAUSE_SECONDS, bootBudgetSeconds, bootScript } from "./boot-script";
export {
  INIT_LOCK_FILES,
  INIT_RESUME_PHASES,
  RESTORE_RUNBOOK,
  initLockScript,
  initLockTableName,
  renderInitLockEnv,
  type InitLockEnv,
} from "./init-lock";
import { bootBudgetSeconds, RETRY_PAUSE_SECONDS } from "./boot-script";

/** Attempts of a bundle fetch (about 8 minutes: IAM and the secret's version may still be propagating). */
export const FETCH_ATTEMPTS = 30;

/** What every role's boot needs, whatever it runs. */
interface CommonBootEnv {
  /** Machine role, e.g. `control-plane-0`, `worker-general`, `etcd-0`. */
  role: string;
  /** Secrets Manager secret (name) holding this role's bundle. */
  secretId: string;
  /** AWS region of the secret. */
  region: string;
  /** Attempts before the boot gives up (a worker is then marked Unhealthy and replaced). */
  maxAttempts: number;
  /** systemd units enabled and started once the boot succeeded (e.g. `etcd-backup.timer`). @default [] */
  enableUnits?: string[];
  /** Exact paths the bundle may write besides `bundlePaths()` (a user's extension files). @default [] */
  extraBundlePaths?: string[];
}

/** The boot of a node that runs kubeadm (control plane or worker). */
export interface BootstrapEnv extends CommonBootEnv {
  /**
   * Whether this node runs the control plane. A control-plane node runs kubeadm only through the cluster's init
   * marker (`init-lock.env` and its script come with the bundle: docs/bootstrap.md, "Init marker"), which decides
   * between init and join; any other node only joins.
   */
  controlPlane: boolean;
  /** `host:port` of the API. */
  apiEndpoint: string;
  /** Seconds a joiner waits before its first attempt (spreads control-plane joins). */
  joinDelaySeconds: number;
  /** Seconds a joiner waits for the API to answer before an attempt fails. */
  apiWaitSeconds: number;
  /** Lifetime of the join token the control plane (re)creates, a Go duration. */
  tokenTtl: string;
  /** The control plane renews the token when it has less than this many hours left. */
  tokenRefreshHours: number;
  /** A script run after every bundle fetch and before kubeadm (e.g. start colocated etcd); failing it retries. @default undefined (none) */
  beforeKubeadm?: string;
}

/** The boot of a node whose work is not kubeadm (a dedicated etcd member): the same steps, then its action. */
export interface ActionBootEnv extends CommonBootEnv {
  /** Absolute path of the script run instead of kubeadm (from the bundle), retried like kubeadm. */
  action: string;
}

const isAction = (e: BootstrapEnv | ActionBootEnv): e is ActionBootEnv => "action" in e;

/** Paths and limits every role's scripts read (before and after the bundle is fetched). */
function commonConstants(): EnvEntry[] {
  return [
    ["KUBEADM_AWS_LIB", FILES.shellLib],
    ["KUBEADM_AWS_FETCH", FILES.fetchScript],
    ["KUBEADM_AWS_UNPACK", FILES.unpacker],
    ["KUBEADM_AWS_BOOT_SCRIPT", FILES.bootScript],
    ["KUBEADM_AWS_BUNDLE_FORMAT", BUNDLE_FORMAT],
    ["KUBEADM_AWS_BUNDLE_PATHS", FILES.bundlePaths],
    ["KUBEADM_AWS_FETCH_ATTEMPTS", FETCH_ATTEMPTS],
    ["KUBEADM_AWS_STATE_DIR", PATHS.state],
    ["KUBEADM_AWS_BOOTSTRAPPED", FILES.bootstrapped],
    ["KUBEADM_AWS_RETRY_PAUSE", RETRY_PAUSE_SECONDS],
    ["KUBEADM_AWS_MODULES", FILES.k8sModules],
    ["KUBEADM_AWS_CONTAINERD_UNIT", UNITS.containerd],
    ["KUBEADM_AWS_KUBELET_UNIT", UNITS.kubelet],
  ];
}

/** What the kubeadm boot of any node reads. */
function kubeadmConstants(): EnvEntry[] {
  return [
    ["KUBEADM_AWS_KUBEADM_TIMEOUT", KUBEADM_TIMEOUT_SECONDS],
    ["KUBEADM_AWS_KUBELET_CONF", FILES.kubeletConf],
    ["KUBEADM_AWS_INIT_CONFIG", FILES.initConfig],
    ["KUBEADM_AWS_JOIN_CONFIG", FILES.joinConfig],
    ["KUBEADM_AWS_INIT_LOCK", INIT_LOCK_FILES.script],
    ["KUBEADM_AWS_LOCK_ENV", INIT_LOCK_FILES.env],
  ];
}

/** What only control-plane scripts read: the token sync, the init marker, certificate renewal. */
function controlPlaneConstants(): EnvEntry[] {
  return [
    ["KUBEADM_AWS_TOKEN_FILE", FILES.token],
    ["KUBEADM_AWS_KUBECONFIG", FILES.adminConf],
    ["KUBEADM_AWS_TOKEN_DESCRIPTION", TOKEN_DESCRIPTION, "quoted"],
    ["KUBEADM_AWS_TOKEN_GROUPS", BOOTSTRAP_TOKEN_GROUP],
    ["KUBEADM_AWS_LOCAL_API", apiHostPort("127.0.0.1")],
    ["KUBEADM_AWS_INIT_RESUME_PHASES", INIT_RESUME_PHASES.join(","), "quoted"],
    ["KUBEADM_AWS_RESTORE_RUNBOOK", RESTORE_RUNBOOK, "quoted"],
    ["KUBEADM_AWS_CERT_RENEW_DAYS", DEFAULT_RENEW_DAYS],
    ["KUBEADM_AWS_MANIFESTS", PATHS.manifests],
    ["KUBEADM_AWS_PKI", PATHS.pki],
    ["KUBEADM_AWS_MANIFEST_PAUSE", MANIFEST_PAUSE_SECONDS],
    ["KUBEADM_AWS_CERT_METRICS", CERT_RENEWAL.metrics],
    ["KUBEADM_AWS_CERT_EXPIRY", FILES.certExpiry],
    ["KUBEADM_AWS_ETCD_CLIENT_STAMP", CERT_RENEWAL.etcdClientStamp],
    ["KUBEADM_AWS_CERT_RESTART_PENDING", CERT_RENEWAL.pendingRestart],
    ["KUBEADM_AWS_STATIC_PODS", STATIC_POD_RESTARTS.map((p) => `${p.pod}=${p.health}`).join(",")],
    ["KUBEADM_AWS_API_SERVER_POD", API_SERVER_POD],
    ["KUBEADM_AWS_POD_HEALTH_WAIT", POD_HEALTH_WAIT_SECONDS],
    ["KUBEADM_AWS_CA_WARNING_DAYS", CA_WARNING_DAYS],
    // Colocated and stacked etcd: the member env file the etcd scripts source.
    ["KUBEADM_AWS_ETCD_ENV", FILES.etcdMemberEnv],
  ];
}

/**
 * The env file every script sources (`/etc/kubeadm-aws/bootstrap.env`, in the user data). Plain: names,
 * numbers and paths, no secret. Role values are checked to need no quoting.
 */
export function renderBootstrapEnv(e: BootstrapEnv | ActionBootEnv): string {
  const role: EnvEntry[] = [
    ["KUBEADM_AWS_ROLE", e.role],
    ["KUBEADM_AWS_SECRET_ID", e.secretId],
    ["KUBEADM_AWS_REGION", e.region],
    ["KUBEADM_AWS_MAX_ATTEMPTS", e.maxAttempts],
    [
      "KUBEADM_AWS_BOOT_BUDGET",
      bootBudgetSeconds(isAction(e) ? { joinDelaySeconds: 0, apiWaitSeconds: 0, maxAttempts: e.maxAttempts } : e),
    ],
  ];
  let constants = commonConstants();
  if (isAction(e)) {
    role.push(["KUBEADM_AWS_CONTROL_PLANE", false], ["KUBEADM_AWS_BOOT_ACTION", e.action]);
    constants = [...constants, ["KUBEADM_AWS_ETCD_ENV", FILES.etcdMemberEnv]];
  } else {
    role.push(
      ["KUBEADM_AWS_CONTROL_PLANE", e.controlPlane],
      ["KUBEADM_AWS_API_ENDPOINT", e.apiEndpoint],
      ["KUBEADM_AWS_JOIN_DELAY", e.joinDelaySeconds],
      ["KUBEADM_AWS_API_WAIT_SECONDS", e.apiWaitSeconds],
      ["KUBEADM_AWS_TOKEN_TTL", e.tokenTtl],
      ["KUBEADM_AWS_TOKEN_REFRESH_HOURS", e.tokenRefreshHours],
    );
    // Optional lines only when set, so roles without them keep the same env file.
    if (e.beforeKubeadm !== undefined) role.push(["KUBEADM_AWS_BEFORE_KUBEADM", e.beforeKubeadm]);
    constants = [...constants, ...kubeadmConstants(), ...(e.controlPlane ? controlPlaneConstants() : [])];
  }
  if (e.enableUnits !== undefined && e.enableUnits.length > 0) role.push(["KUBEADM_AWS_ENABLE_UNITS", e.enableUnits.join(",")]);
  const body = renderEnvFile(`bootstrap env of ${e.role}`, [...role, ...constants]);
  const split = body.split("\n").findIndex((l) => l.startsWith(`${constants[0]![0]}=`));
  const lines = body.split("\n");
  return [
    "# kubeadm-aws: this role's settings.",
    ...lines.slice(0, split),
    "# Paths, names and limits (from the library's constants, for the node scripts).",
    ...lines.slice(split),
  ].join("\n");
}

/**
 * Path prefixes outside the kubeadm directories a bundle may write: a colocated etcd member's
 * config and keys, its unit and its backup scripts and units; the node scripts and units the bundle
 * carries (the user data holds only what fetches it).
 */
export const BUNDLE_EXTRA_PREFIXES = [
  `${PATHS.etcd}/`,
  `${PATHS.sbin}/etcd-`,
  `${PATHS.units}/etcd`,
  INIT_LOCK_FILES.script,
  FILES.bootScript,
  FILES.tokenSyncScript,
  `${PATHS.units}/${UNITS.tokenSyncService}`,
  `${PATHS.units}/${UNITS.tokenSyncTimer}`,
  CERT_RENEWAL.script,
  FILES.certExpiry,
  CERT_RENEWAL.service,
  CERT_RENEWAL.timer,
  FILES.kubeletSysctl,
  FILES.k8sSysctl,
  FILES.k8sModules,
] as const;

/** Every prefix the unpacker allows, plus a role's exact extra paths (a user's extension files). */
export function bundlePaths(extra: readonly string[] = []): string[] {
  return [`${PATHS.kubeadmDir}/`, `${PATHS.pki}/`, `${PATHS.apiserverDir}/`, `${PATHS.bootstrapDir}/`, ...BUNDLE_EXTRA_PREFIXES, ...extra];
}

/** The unpacker's allow-list file (`KUBEADM_AWS_BUNDLE_PATHS`): one path prefix per line. */
export function renderBundlePaths(extra: readonly string[] = []): string {
  const paths = bundlePaths(extra);
  const bad = paths.find((p) => !p.startsWith("/") || /\s/.test(p));
  if (bad !== undefined) throw new Error(`bundle path ${JSON.stringify(bad)} must be absolute, without spaces`);
  return paths.map((p) => `${p}\n`).join("");
}

/** `unpack.py`: writes a bundle's files atomically with their modes; refuses paths outside `bundlePaths()`. */
export function unpackScript(): string {
  return nodeScriptText(NODE_SCRIPTS.unpack.source);
}

/**
 * `kubeadm-aws-token-sync` (control plane, hourly): re-reads the bundle (Pulumi may have rotated the
 * token) and makes sure the current join token exists in the cluster with more than the refresh margin
 * left; otherwise (re)creates it with a fresh TTL. A rotated-out token is left to expire by its TTL.
 */
export function tokenSyncScript(): string {
  return nodeScriptText(NODE_SCRIPTS.tokenSync.source);
}
