/**
 * The boot scripts a node runs, pure strings. They are static: everything role-specific comes from
 * the env file (`renderBootstrapEnv`), so one reviewed script serves every role. Each reads its
 * paths from variables with on-node defaults, so tests can run it against stub commands.
 */
import { INIT_LOCK_FILES } from "./init-lock";
import { TOKEN_DESCRIPTION } from "./kubeadm";
import { CERT_RENEWAL } from "./cert-renewal";
import { FILES, PATHS } from "./paths";

// The boot script and the init marker live in their own modules; exported from here with the other scripts.
export { BOOT_BUDGET_MARGIN_SECONDS, KUBEADM_TIMEOUT_SECONDS, RETRY_PAUSE_SECONDS, bootBudgetSeconds, bootScript } from "./boot-script";
export { INIT_LOCK_FILES, INIT_RESUME_PHASES, RESTORE_RUNBOOK, initLockScript, initLockTableName, renderInitLockEnv, type InitLockEnv } from "./init-lock";

export type BootMode = "init" | "join";

export interface BootstrapEnv {
  /** Machine role, e.g. `control-plane-0`, `worker-general`. */
  role: string;
  /** `init` (first control-plane node of a new cluster) or `join`; with `initLockTable`, the init marker decides instead. */
  mode: BootMode;
  /** Whether this node runs the control plane. */
  controlPlane: boolean;
  /** Secrets Manager secret (name) holding this role's bundle. */
  secretId: string;
  /** AWS region of the secret. */
  region: string;
  /** `host:port` of the API. */
  apiEndpoint: string;
  /** Seconds a joiner waits before its first attempt (spreads control-plane joins). */
  joinDelaySeconds: number;
  /** Seconds a joiner waits for the API to answer before an attempt fails. */
  apiWaitSeconds: number;
  /** kubeadm attempts before the boot gives up (the instance is then unhealthy and replaced). */
  maxAttempts: number;
  /** Lifetime of the join token the control plane (re)creates, a Go duration. */
  tokenTtl: string;
  /** The control plane renews the token when it has less than this many hours left. */
  tokenRefreshHours: number;
  /** A script run after every bundle fetch and before kubeadm (e.g. start colocated etcd); failing it retries. @default undefined (none) */
  beforeKubeadm?: string;
  /** systemd units enabled and started once kubeadm succeeded (e.g. `etcd-backup.timer`). @default [] */
  enableUnits?: string[];
  /**
   * Control plane: the DynamoDB table of the cluster's init marker (docs/bootstrap.md, "Init marker"); with it
   * every control-plane node may claim `kubeadm init` and `mode` is only where the boot starts. The Cluster
   * delivers the same variable in `init-lock.env` through the bundle. @default undefined (no marker: `mode` decides)
   */
  initLockTable?: string;
  /** Control-plane nodes of the cluster (with 1, a lost cluster is never re-initialised). @default undefined (3 assumed) */
  controlPlaneCount?: number;
}

/** The env file every script sources. Plain: names and numbers only, no secret. */
export function renderBootstrapEnv(e: BootstrapEnv): string {
  const lines: [string, string | number | boolean][] = [
    ["KUBEADM_AWS_ROLE", e.role],
    ["KUBEADM_AWS_MODE", e.mode],
    ["KUBEADM_AWS_CONTROL_PLANE", e.controlPlane],
    ["KUBEADM_AWS_SECRET_ID", e.secretId],
    ["KUBEADM_AWS_REGION", e.region],
    ["KUBEADM_AWS_API_ENDPOINT", e.apiEndpoint],
    ["KUBEADM_AWS_JOIN_DELAY", e.joinDelaySeconds],
    ["KUBEADM_AWS_API_WAIT_SECONDS", e.apiWaitSeconds],
    ["KUBEADM_AWS_MAX_ATTEMPTS", e.maxAttempts],
    ["KUBEADM_AWS_TOKEN_TTL", e.tokenTtl],
    ["KUBEADM_AWS_TOKEN_REFRESH_HOURS", e.tokenRefreshHours],
  ];
  // Optional lines only when set, so roles without them keep the same env file.
  if (e.beforeKubeadm !== undefined) lines.push(["KUBEADM_AWS_BEFORE_KUBEADM", e.beforeKubeadm]);
  if (e.enableUnits !== undefined && e.enableUnits.length > 0) lines.push(["KUBEADM_AWS_ENABLE_UNITS", e.enableUnits.join(",")]);
  if (e.initLockTable !== undefined) lines.push(["KUBEADM_AWS_INIT_LOCK_TABLE", e.initLockTable]);
  if (e.controlPlaneCount !== undefined) lines.push(["KUBEADM_AWS_CONTROL_PLANE_COUNT", e.controlPlaneCount]);
  for (const [k, v] of lines) {
    if (!/^[A-Za-z0-9_.:/@+,-]*$/.test(String(v))) throw new Error(`bootstrap env ${k}=${String(v)} has characters that would need quoting`);
  }
  return lines.map(([k, v]) => `${k}=${String(v)}\n`).join("");
}

/** Reads the role's bundle from Secrets Manager with the instance role, retrying, and unpacks it. */
export function fetchBundleScript(): string {
  return `#!/bin/bash
# kubeadm-aws: fetch this node's bundle (Secrets Manager, instance role; retried) and write its files.
set -euo pipefail
ENV_FILE="\${KUBEADM_AWS_ENV:-${FILES.env}}"
UNPACK="\${KUBEADM_AWS_UNPACK:-${FILES.unpacker}}"
# shellcheck source=/dev/null
. "$ENV_FILE"
umask 077
bundle="$(mktemp)"
trap 'rm -f "$bundle"' EXIT
attempt=1
until aws secretsmanager get-secret-value --region "$KUBEADM_AWS_REGION" --secret-id "$KUBEADM_AWS_SECRET_ID" \\
    --query SecretString --output text >"$bundle"; do
  if [ "$attempt" -ge 30 ]; then
    echo "kubeadm-aws: cannot read $KUBEADM_AWS_SECRET_ID after $attempt attempts" >&2
    exit 1
  fi
  sleep $((attempt < 10 ? attempt * 2 : 20))
  attempt=$((attempt + 1))
done
python3 "$UNPACK" "$bundle"
`;
}

/**
 * Path prefixes outside the kubeadm directories a bundle may write: a colocated etcd member's
 * config and keys, its unit and its backup scripts and units; the init marker's script.
 */
export const BUNDLE_EXTRA_PREFIXES = [
  "/etc/etcd/", "/usr/local/sbin/etcd-", "/etc/systemd/system/etcd", INIT_LOCK_FILES.script,
  // Control-plane timers delivered through the bundle (user data is near EC2's 16 KiB).
  FILES.tokenSyncScript, `${PATHS.units}/kubeadm-aws-token-sync.`, CERT_RENEWAL.script, `${PATHS.units}/kubeadm-aws-cert-renew.`,
] as const;

/** Writes the files of a bundle (JSON) atomically with their modes; refuses paths outside our directories. */
export function unpackScript(): string {
  return `#!/usr/bin/python3
"""kubeadm-aws: write the files of a bootstrap bundle."""
import json
import os
import sys
import tempfile

ALLOWED = (
    "${PATHS.kubeadmDir}/", "${PATHS.pki}/", "${PATHS.apiserverDir}/", "${PATHS.bootstrapDir}/",
    ${BUNDLE_EXTRA_PREFIXES.map((p) => `"${p}",`).join("\n    ")}
)
ROOT = os.environ.get("KUBEADM_AWS_ROOT", "/")


def main(path):
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("format") != "kubeadm-aws-bundle/v1":
        sys.exit("unpack: unknown bundle format")
    for item in bundle["files"]:
        target = item["path"]
        if os.path.normpath(target) != target or not target.startswith(ALLOWED):
            sys.exit("unpack: refusing path " + target)
        dest = os.path.join(ROOT, target.lstrip("/"))
        os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(item["content"])
            os.chmod(tmp, int(item["permissions"], 8))
            if os.path.exists(dest):
                # Keep the owner a boot hook gave (etcd reads its keys as etcd).
                st = os.stat(dest)
                os.chown(tmp, st.st_uid, st.st_gid)
            os.replace(tmp, dest)
        except BaseException:
            os.unlink(tmp)
            raise
    print("unpack: wrote %d files for %s" % (len(bundle["files"]), bundle.get("role", "?")))


if __name__ == "__main__":
    main(sys.argv[1])
`;
}

/**
 * Control plane, hourly: re-reads the bundle (Pulumi may have rotated the token) and makes sure
 * the current join token exists in the cluster with more than the refresh margin left; otherwise
 * (re)creates it with a fresh TTL. A rotated-out token is left to expire by its TTL.
 */
export function tokenSyncScript(): string {
  return `#!/bin/bash
# kubeadm-aws: keep the current join token (Secrets Manager) valid in the cluster; never log it.
set -euo pipefail
ENV_FILE="\${KUBEADM_AWS_ENV:-${FILES.env}}"
FETCH="\${KUBEADM_AWS_FETCH:-${FILES.fetchScript}}"
TOKEN_FILE="\${KUBEADM_AWS_TOKEN_FILE:-${FILES.token}}"
ADMIN_CONF="\${KUBEADM_AWS_KUBECONFIG:-/etc/kubernetes/admin.conf}"
# shellcheck source=/dev/null
. "$ENV_FILE"

"$FETCH" >/dev/null
token="$(cat "$TOKEN_FILE")"
token_id="\${token%%.*}"
listing="$(kubeadm token list --kubeconfig "$ADMIN_CONF" -o 'jsonpath={.token}{" "}{.expires}{"\\n"}')"

found=false
expires=""
while read -r listed listed_expires; do
  if [ "\${listed%%.*}" = "$token_id" ]; then
    found=true
    expires="$listed_expires"
  fi
done <<<"$listing"

renew=true
if [ "$found" = true ]; then
  if [ -z "$expires" ]; then
    renew=false
  else
    left=$(($(date -d "$expires" +%s) - $(date +%s)))
    if [ "$left" -gt $((KUBEADM_AWS_TOKEN_REFRESH_HOURS * 3600)) ]; then
      renew=false
    fi
  fi
fi

if [ "$renew" = false ]; then
  echo "kubeadm-aws: join token $token_id is valid until \${expires:-forever}"
  exit 0
fi
if [ "$found" = true ]; then
  kubeadm token delete --kubeconfig "$ADMIN_CONF" "$token_id" >/dev/null
fi
kubeadm token create --kubeconfig "$ADMIN_CONF" "$token" --ttl "$KUBEADM_AWS_TOKEN_TTL" \\
  --description "${TOKEN_DESCRIPTION}" \\
  --groups system:bootstrappers:kubeadm:default-node-token --usages signing,authentication >/dev/null
echo "kubeadm-aws: join token $token_id (re)created with TTL $KUBEADM_AWS_TOKEN_TTL"
`;
}
