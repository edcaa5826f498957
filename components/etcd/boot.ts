/**
 * What a dedicated etcd member runs at boot, pure: a boot script (data volume, certificates from
 * Secrets Manager, start) and the cloud-init document that writes every file and runs it.
 * No secret is in the user data: certificates and keys are fetched by the instance role.
 */
import { stringify } from "yaml";
import type { BootFile } from "../core/artifacts";
import { renderBackupScript, renderBackupService, renderBackupTimer, renderRestoreScript } from "../backup/scripts";
import { DEFAULT_ETCD_PATHS, PKI_FILES, renderEtcdConfig, type EtcdConfigInput, type EtcdPaths } from "./config";
import { DEFAULT_ETCD_PORTS, initialCluster, type EtcdPorts } from "./members";
import { renderEtcdPod, renderStandaloneKubeletConfig, renderStandaloneKubeletDropIn, STANDALONE_KUBELET } from "./pod";
import { renderEtcdUnit } from "./systemd";

/** Paths of the scripts and units on a member. */
export const MEMBER_FILES = {
  boot: "/usr/local/sbin/etcd-member-boot",
  backup: "/usr/local/sbin/etcd-backup",
  restore: "/usr/local/sbin/etcd-restore",
  etcdUnit: "/etc/systemd/system/etcd.service",
  backupService: "/etc/systemd/system/etcd-backup.service",
  backupTimer: "/etc/systemd/system/etcd-backup.timer",
  staticPod: `${STANDALONE_KUBELET.staticPodPath}/etcd.yaml`,
} as const;

const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

export interface BootScriptInput {
  memberName: string;
  /** EBS volume id of the member's data volume (`vol-...`). */
  volumeId: string;
  /** Secrets Manager secret holding `{ "<file>": "<pem>" }` for the pki dir. */
  secretId: string;
  region: string;
  runtime: "on-host" | "containerized";
  /** @default DEFAULT_ETCD_PATHS */
  paths?: EtcdPaths;
  /** @default "etcd" */
  user?: string;
}

/** `etcd-member-boot`: idempotent; formats the data volume only when it is blank. */
export function renderBootScript(input: BootScriptInput): string {
  const paths = input.paths ?? DEFAULT_ETCD_PATHS;
  const service = input.runtime === "on-host" ? "etcd.service" : "kubelet.service";
  return `#!/bin/bash
# Boot of etcd member ${input.memberName} (rendered by pulumi-kubeadm-aws): data volume, certificates, start.
set -euo pipefail
umask 077

MEMBER=${q(input.memberName)}
VOLUME_ID=${q(input.volumeId)}
SECRET_ID=${q(input.secretId)}
REGION=${q(input.region)}
DATA_DIR=${q(paths.dataDir)}
PKI_DIR=${q(paths.pkiDir)}
ETCD_USER=${q(input.user ?? "etcd")}
SERVICE=${q(service)}

if ! id "$ETCD_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$ETCD_USER"
fi

# 1. The data volume: attached by Pulumi after the instance starts, so wait for it.
serial="\${VOLUME_ID//-/}"
device=""
for _ in $(seq 1 180); do
  for candidate in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$serial" /dev/xvdf /dev/sdf; do
    if [ -b "$candidate" ]; then
      device="$(readlink -f "$candidate")"
      break 2
    fi
  done
  sleep 5
done
if [ -z "$device" ]; then
  echo "etcd-member-boot: data volume $VOLUME_ID never appeared" >&2
  exit 1
fi
# Only a blank volume is formatted: a replaced instance finds the member's data and rejoins with it.
if ! blkid -o value -s TYPE "$device" >/dev/null 2>&1; then
  mkfs.ext4 -q -L etcd-data -m 0 "$device"
fi
uuid="$(blkid -o value -s UUID "$device")"
mkdir -p "$DATA_DIR"
if ! grep -q "^UUID=$uuid " /etc/fstab; then
  printf 'UUID=%s %s ext4 defaults,noatime,nofail 0 2\\n' "$uuid" "$DATA_DIR" >> /etc/fstab
fi
mountpoint -q "$DATA_DIR" || mount "$DATA_DIR"
chown "$ETCD_USER:$ETCD_USER" "$DATA_DIR"
chmod 700 "$DATA_DIR"

# 2. Certificates and keys, readable by this member's instance role only.
mkdir -p "$PKI_DIR"
${renderPkiFetch()}chown -R "$ETCD_USER:$ETCD_USER" "$PKI_DIR"
chmod 700 "$PKI_DIR"

# 3. Start the member and the backup timer.
systemctl daemon-reload
systemctl enable --now "$SERVICE"
systemctl enable --now etcd-backup.timer
echo "etcd-member-boot: $MEMBER started ($SERVICE)"
`;
}

/**
 * Step 2 of `etcd-member-boot`: read the member's TLS secret (retried like the bundle fetch: the
 * instance profile and the secret's version may still be propagating) and write its files into
 * `$PKI_DIR`. Needs `SECRET_ID`, `REGION`, `PKI_DIR`; a bash fragment, tested on its own.
 */
export function renderPkiFetch(attempts = 30): string {
  return `# The secret's JSON holds private keys: keep it beside them (never in /tmp) and remove it on any exit.
mkdir -p "$PKI_DIR"
pki_json="$(mktemp "$PKI_DIR/.secret.XXXXXX")"
trap 'rm -f "$pki_json"' EXIT
attempt=1
until aws --region "$REGION" secretsmanager get-secret-value --secret-id "$SECRET_ID" --query SecretString --output text >"$pki_json"; do
  if [ "$attempt" -ge ${attempts} ]; then
    echo "etcd-member-boot: cannot read $SECRET_ID after $attempt attempts" >&2
    rm -f "$pki_json"
    exit 1
  fi
  sleep $((attempt < 10 ? attempt * 2 : 20))
  attempt=$((attempt + 1))
done
python3 -c '
import json, os, sys
target = sys.argv[1]
with open(sys.argv[2], encoding="utf-8") as f:
    files = json.load(f)
for name, pem in files.items():
    if "/" in name or name.startswith("."):
        raise SystemExit("etcd-member-boot: bad file name in secret: " + name)
    path = os.path.join(target, name)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, pem.encode())
    os.close(fd)
    os.replace(path + ".tmp", path)
' "$PKI_DIR" "$pki_json"
rm -f "$pki_json"
`;
}

export interface MemberBootInput {
  cluster: string;
  region: string;
  runtime: "on-host" | "containerized";
  /** etcd version (image tag for containerized members). */
  etcdVersion: string;
  /** Config of this member (member, members, token, paths, ports, tuning). */
  config: EtcdConfigInput;
  volumeId: string;
  secretId: string;
  backup: { bucket: string; intervalMinutes: number };
  /** The etcd binary on on-host members. @default /usr/local/bin/etcd */
  etcdBinary?: string;
}

/** Every file a dedicated member runs, by absolute path on the host. */
export function memberBootFiles(input: MemberBootInput): { path: string; content: string; permissions: string }[] {
  const paths = input.config.paths ?? DEFAULT_ETCD_PATHS;
  const ports: EtcdPorts = input.config.ports ?? DEFAULT_ETCD_PORTS;
  const m = input.config.member;
  const unit = input.runtime === "on-host" ? "etcd.service" : "kubelet.service";
  const pki = (f: string) => `${paths.pkiDir}/${f}`;
  const files = [
    { path: paths.configFile, content: renderEtcdConfig(input.config), permissions: "0644" },
    { path: MEMBER_FILES.boot, content: renderBootScript({ memberName: m.name, volumeId: input.volumeId, secretId: input.secretId, region: input.region, runtime: input.runtime, paths }), permissions: "0755" },
    {
      path: MEMBER_FILES.backup,
      content: renderBackupScript({
        cluster: input.cluster, memberName: m.name, endpoint: `https://${m.ip}:${ports.client}`,
        client: { caFile: pki(PKI_FILES.ca), certFile: pki(PKI_FILES.serverCert), keyFile: pki(PKI_FILES.serverKey) },
        bucket: input.backup.bucket, region: input.region,
      }),
      permissions: "0755",
    },
    {
      path: MEMBER_FILES.restore,
      content: renderRestoreScript({
        cluster: input.cluster, memberName: m.name, peerUrl: `https://${m.ip}:${ports.peer}`,
        initialCluster: initialCluster(input.config.members, ports), clusterToken: input.config.clusterToken, dataDir: paths.dataDir, region: input.region,
        ...(input.runtime === "containerized"
          ? { stopCommand: `mv ${MEMBER_FILES.staticPod} "$STATE_DIR/etcd.yaml.stopped" && sleep 30`, startCommand: `mv "$STATE_DIR/etcd.yaml.stopped" ${MEMBER_FILES.staticPod}` }
          : {}),
      }),
      permissions: "0755",
    },
    { path: MEMBER_FILES.backupService, content: renderBackupService(MEMBER_FILES.backup, unit), permissions: "0644" },
    { path: MEMBER_FILES.backupTimer, content: renderBackupTimer(input.backup.intervalMinutes), permissions: "0644" },
  ];
  if (input.runtime === "on-host") {
    files.push({ path: MEMBER_FILES.etcdUnit, content: renderEtcdUnit({ memberName: m.name, cluster: input.cluster, paths, etcdBinary: input.etcdBinary }), permissions: "0644" });
  } else {
    files.push(
      { path: MEMBER_FILES.staticPod, content: renderEtcdPod({ memberName: m.name, etcdVersion: input.etcdVersion, paths, ports }), permissions: "0600" },
      { path: STANDALONE_KUBELET.config, content: renderStandaloneKubeletConfig(), permissions: "0644" },
      { path: STANDALONE_KUBELET.dropIn, content: renderStandaloneKubeletDropIn(), permissions: "0644" },
    );
  }
  return files;
}

/** The cloud-init user data of a dedicated member: write every file, then run the boot script. */
export function renderMemberCloudInit(input: MemberBootInput): string {
  const doc = {
    write_files: memberBootFiles(input).map((f) => ({ path: f.path, owner: "root:root", permissions: f.permissions, content: f.content })),
    runcmd: [[MEMBER_FILES.boot]],
  };
  return `#cloud-config\n${stringify(doc, { version: "1.1", lineWidth: 0 })}`;
}

/** The member's boot files as artifacts: the cloud-init document plus each file under `rootfs/`. */
export function memberArtifacts(input: MemberBootInput): BootFile[] {
  return [
    { path: "cloud-init.yaml", content: renderMemberCloudInit(input) },
    ...memberBootFiles(input).map((f) => ({ path: `rootfs${f.path}`, content: f.content })),
  ];
}
