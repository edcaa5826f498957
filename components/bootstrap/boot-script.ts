/**
 * `kubeadm-aws-boot`, the one boot script of every role (docs/bootstrap.md, "How a node boots" and
 * "Init marker"): a real file, delivered through the role's bundle; its settings come from the env file.
 * The init marker's protocol lives in `kubeadm-aws-init-lock` (init-lock.ts); this script only calls it.
 */
import { KUBEADM_TIMEOUT_SECONDS } from "./init-lock";
import { NODE_SCRIPTS, nodeScriptText } from "./node-scripts";

export { KUBEADM_TIMEOUT_SECONDS };
/** Pause between attempts. */
export const RETRY_PAUSE_SECONDS = 20;
/** Added to the attempts' waits for bundle fetches, hooks and kubeadm runs. */
export const BOOT_BUDGET_MARGIN_SECONDS = 3600;

/**
 * The boot's own deadline, rendered into its env file (`KUBEADM_AWS_BOOT_BUDGET`): join delay + attempts ×
 * (API wait + pause) + margin. The unit's TimeoutStartSec is `infinity`, so systemd never kills a boot that is
 * still within it; the script gives up at it.
 */
export function bootBudgetSeconds(e: { joinDelaySeconds: number; maxAttempts: number; apiWaitSeconds: number }): number {
  return e.joinDelaySeconds + e.maxAttempts * (e.apiWaitSeconds + RETRY_PAUSE_SECONDS) + BOOT_BUDGET_MARGIN_SECONDS;
}

/**
 * `kubeadm-aws-boot` (node/sbin/kubeadm-aws-boot.sh): name the node, fetch the bundle, decide init or
 * join (or run the role's action), kubeadm (retried), enable the role's units.
 */
export function bootScript(): string {
  return nodeScriptText(NODE_SCRIPTS.boot.source);
}
