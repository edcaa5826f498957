/**
 * The cluster's init marker: one DynamoDB item (`id = init`) per cluster decides which control-plane
 * node runs `kubeadm init`, once in the cluster's life (docs/bootstrap.md, "Init marker"). Pure
 * strings: the script every control-plane node gets through its bundle, and its env file.
 *
 * Item: `owner` (instance id of the claimant, or `released`), `claimedAt`, `previousOwner` after a
 * takeover, `initializedAt` once the claimant's API answered `/readyz`. Every write is conditional:
 * - claim a new item: PutItem, `attribute_not_exists(id)`;
 * - take over from an owner that is terminated, stopped or not found (or released):
 *   UpdateItem, `owner = :old AND attribute_not_exists(initializedAt)`;
 * - mark initialised: UpdateItem, `owner = :me`;
 * - release after a failed boot that never had an API: UpdateItem, `owner = :me AND attribute_not_exists(initializedAt)`.
 * So exactly one node wins each race, and once `initializedAt` is set nobody ever initialises again.
 */
import { renderEnvFile } from "./env-file";
import { NODE_SCRIPTS, nodeScriptText } from "./node-scripts";
import { FILES, PATHS } from "./paths";

/** On-node paths of the init marker's files and of the boot's durable state. */
export const INIT_LOCK_FILES = {
  /** The script (delivered through the control-plane bundle). */
  script: FILES.initLockScript,
  /** Its settings: table and control-plane count (through the bundle, so the user data stays as it is). */
  env: `${PATHS.bootstrapDir}/init-lock.env`,
  /** Survives reboots: `instance-id`, `local-api-answered`, `init-claimed`, `init-marked`. */
  stateDir: PATHS.state,
} as const;

/** DynamoDB table holding a cluster's init marker (deterministic, 3..255 of `[A-Za-z0-9_.-]`). */
export function initLockTableName(clusterName: string): string {
  const name = `${clusterName}-kubeadm-aws-init`;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(name)) throw new Error(`init marker table name ${name} is not a valid DynamoDB table name`);
  return name;
}

export interface InitLockEnv {
  /** The DynamoDB table (`initLockTableName`). Required. */
  table: string;
  /** Control-plane nodes of the cluster: with 1, a lost cluster is never re-initialised by its replacement. Required. */
  controlPlaneCount: number;
}

/** `init-lock.env`: sourced by the boot and the lock script after every bundle fetch. Plain. */
export function renderInitLockEnv(e: InitLockEnv): string {
  if (!Number.isInteger(e.controlPlaneCount) || e.controlPlaneCount < 1)
    throw new Error(`controlPlaneCount must be >= 1 (got ${e.controlPlaneCount})`);
  return renderEnvFile("init marker env", [
    ["KUBEADM_AWS_INIT_LOCK_TABLE", e.table],
    ["KUBEADM_AWS_CONTROL_PLANE_COUNT", e.controlPlaneCount],
  ]);
}

/** Seconds one `kubeadm init|join` may run (its own timeouts: discovery 5m, TLS bootstrap 5m, control plane 4m). */
export const KUBEADM_TIMEOUT_SECONDS = 900;

/** Phases of `kubeadm init` after wait-control-plane: re-run (idempotent) instead of a reset once the API answered. */
export const INIT_RESUME_PHASES = [
  "upload-config all",
  "mark-control-plane",
  "bootstrap-token",
  "kubelet-finalize all",
  "addon all",
] as const;

/** Where the cluster's etcd restore runbook is; the lost-cluster message names it. */
export const RESTORE_RUNBOOK = 'docs/etcd.md, "Restore runbook"';

/** `kubeadm-aws-init-lock SUBCOMMAND` (node/sbin/kubeadm-aws-init-lock.sh): the marker's protocol, on DynamoDB through the instance role. */
export function initLockScript(): string {
  return nodeScriptText(NODE_SCRIPTS.initLock.source);
}
