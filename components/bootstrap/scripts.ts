/**
 * The boot scripts a node runs, pure strings. They are static: everything role-specific comes from
 * the env file (`renderBootstrapEnv`), so one reviewed script serves every role. Each reads its
 * paths from variables with on-node defaults, so tests can run it against stub commands.
 */
import { TOKEN_DESCRIPTION } from "./kubeadm";
import { FILES, PATHS } from "./paths";

export type BootMode = "init" | "join";

export interface BootstrapEnv {
  /** Machine role, e.g. `control-plane-0`, `worker-general`. */
  role: string;
  /** `init` (first control-plane node of a new cluster) or `join`. */
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
  for (const [k, v] of lines) {
    if (!/^[A-Za-z0-9_.:/@+,-]*$/.test(String(v))) throw new Error(`bootstrap env ${k}=${String(v)} has characters that would need quoting`);
  }
  return lines.map(([k, v]) => `${k}=${String(v)}\n`).join("");
}

/** Reads the role's bundle from Secrets Manager with the instance role, retrying, and unpacks it. */
export function fetchBundleScript(): string {
  return `#!/bin/bash
# kubeadm-aws: fetch this node's bootstrap bundle from AWS Secrets Manager (instance role
# credentials; retried while the instance profile propagates) and write its files.
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
 * config and keys, its unit and its backup scripts and units.
 */
export const BUNDLE_EXTRA_PREFIXES = ["/etc/etcd/", "/usr/local/sbin/etcd-", "/etc/systemd/system/etcd"] as const;

/** Writes the files of a bundle (JSON) atomically with their modes; refuses paths outside our directories. */
export function unpackScript(): string {
  return `#!/usr/bin/python3
"""kubeadm-aws: write the files of a bootstrap bundle (JSON read from Secrets Manager)."""
import json
import os
import sys
import tempfile

ALLOWED = (
    "${PATHS.kubeadmDir}/", "${PATHS.pki}/", "${PATHS.apiserverDir}/", "${PATHS.bootstrapDir}/",
    ${BUNDLE_EXTRA_PREFIXES.map((p) => `"${p}"`).join(", ")},
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
                # Keep the owner a boot hook gave the file (etcd reads its keys as user etcd).
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

/** The boot: name the node, fetch the bundle, kubeadm init or join (retried), start the token sync. */
export function bootScript(): string {
  return `#!/bin/bash
# kubeadm-aws: configure and start this node. Everything it runs comes from the machine image;
# nothing is downloaded. Role settings come from the env file written by cloud-init.
set -euo pipefail
ENV_FILE="\${KUBEADM_AWS_ENV:-${FILES.env}}"
FETCH="\${KUBEADM_AWS_FETCH:-${FILES.fetchScript}}"
# shellcheck source=/dev/null
. "$ENV_FILE"
log() { echo "kubeadm-aws[$KUBEADM_AWS_ROLE]: $*"; }

if [ -f /etc/kubernetes/kubelet.conf ]; then
  log "already bootstrapped; starting kubelet"
  systemctl start kubelet
  exit 0
fi

# The AWS cloud controller manager expects the node name to be the private DNS name (IMDSv2).
imds_token="$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)"
node_name="$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/local-hostname)"
hostnamectl set-hostname "$node_name"

modprobe overlay
modprobe br_netfilter
sysctl --system >/dev/null
systemctl enable --now containerd
systemctl enable kubelet

# /readyz answers anonymous requests (the only anonymous path besides /livez and /healthz).
api_ready() {
  curl -sfk --max-time 5 "https://$KUBEADM_AWS_API_ENDPOINT/readyz" >/dev/null
}

wait_for_api() {
  local waited=0
  until api_ready; do
    if [ "$waited" -ge "$KUBEADM_AWS_API_WAIT_SECONDS" ]; then
      log "the API at $KUBEADM_AWS_API_ENDPOINT did not answer within $waited s"
      return 1
    fi
    sleep 10
    waited=$((waited + 10))
  done
}

mode="$KUBEADM_AWS_MODE"
if [ "$mode" = init ] && api_ready; then
  # The first node was replaced while the cluster lives on: join it instead of creating another.
  log "the API already answers; joining instead of kubeadm init"
  mode="join"
fi
if [ "$mode" = join ]; then
  sleep "$KUBEADM_AWS_JOIN_DELAY"
fi

attempt=1
while true; do
  "$FETCH"
  rc=0
  if [ -n "\${KUBEADM_AWS_BEFORE_KUBEADM:-}" ]; then
    # e.g. start this node's etcd member: kube-apiserver needs it before kubeadm runs.
    "$KUBEADM_AWS_BEFORE_KUBEADM" || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    log "$KUBEADM_AWS_BEFORE_KUBEADM failed"
  elif [ "$mode" = init ]; then
    kubeadm init --config ${FILES.initConfig} --skip-token-print --skip-certificate-key-print || rc=$?
  else
    # Joiners boot in parallel with the first node: wait until the API answers, then join.
    if wait_for_api; then
      kubeadm join --config ${FILES.joinConfig} || rc=$?
    else
      rc=1
    fi
  fi
  if [ "$rc" -eq 0 ]; then
    break
  fi
  if [ "$attempt" -ge "$KUBEADM_AWS_MAX_ATTEMPTS" ]; then
    log "kubeadm $mode failed $attempt times; giving up"
    exit 1
  fi
  log "kubeadm $mode failed (attempt $attempt); resetting and retrying"
  # reset also removes the certificates: the next attempt fetches the bundle again.
  kubeadm reset --force >/dev/null 2>&1 || true
  attempt=$((attempt + 1))
  sleep 20
done

if [ "$KUBEADM_AWS_CONTROL_PLANE" = true ]; then
  systemctl enable --now kubeadm-aws-token-sync.timer
fi
if [ -n "\${KUBEADM_AWS_ENABLE_UNITS:-}" ]; then
  # Units that came with the bundle (e.g. the etcd backup timer).
  systemctl daemon-reload
  IFS=',' read -r -a units <<<"$KUBEADM_AWS_ENABLE_UNITS"
  systemctl enable --now "\${units[@]}"
fi
log "node bootstrapped ($mode)"
`;
}

/**
 * Control plane, hourly: re-reads the bundle (Pulumi may have rotated the token) and makes sure
 * the current join token exists in the cluster with more than the refresh margin left; otherwise
 * (re)creates it with a fresh TTL. A rotated-out token is left to expire by its TTL.
 */
export function tokenSyncScript(): string {
  return `#!/bin/bash
# kubeadm-aws: keep the current join token (from Secrets Manager) valid in the cluster, so nodes
# an autoscaler launches at any time can join. Tokens never appear in the logs.
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
