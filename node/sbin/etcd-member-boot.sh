#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: the boot action of a dedicated etcd member (docs/etcd.md, "Boot of a dedicated member"). The common
# boot has fetched and unpacked the member's bundle (config, units, scripts; the keys as root, 0600) and runs this
# instead of kubeadm, retrying it on failure. It checks the bundle is the one the instance was launched with, finds
# the member's data volume, formats it only when it is blank, mounts it on the data dir (an fstab line, so a
# reboot mounts it again before etcd may start) and starts the member (etcd-node-start). Idempotent.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through the node boot (its systemd unit sets KUBEADM_AWS_ENV)}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ETCD_ENV:?run through the node boot (it sets KUBEADM_AWS_ETCD_ENV, the member env file)}"
log_as etcd-member-boot
VOLUME="$KUBEADM_AWS_ETCD_VOLUME_ID"
DATA_DIR="$KUBEADM_AWS_ETCD_DATA_DIR"
FS_TYPE="$KUBEADM_AWS_ETCD_FS_TYPE"
FSTAB="$KUBEADM_AWS_ETCD_FSTAB"

# 1. The files from the bundle are those the user data lists (a digest per file): a bundle from another
# render (a secret version not yet current) fails this attempt, and the boot fetches again.
if ! sha256sum --check --quiet --strict "$KUBEADM_AWS_ETCD_BOOT_FILES" >&2; then
  log "the bundle's files differ from $KUBEADM_AWS_ETCD_BOOT_FILES (the user data's digests)"
  exit 1
fi

# 2. The data volume: Pulumi attaches it once the instance runs, so it may appear a while after boot. On Nitro it
# is an NVMe device named by the volume id; on older types it has the attachment's device name.
find_volume() {
  local candidate candidates
  IFS=',' read -r -a candidates <<<"$KUBEADM_AWS_ETCD_VOLUME_DEVICES"
  for candidate in "${candidates[@]}"; do
    if [ -b "$candidate" ]; then
      readlink -f "$candidate"
      return 0
    fi
  done
  return 1
}
device="$(retry "$KUBEADM_AWS_ETCD_VOLUME_ATTEMPTS" "data volume $VOLUME to appear" find_volume)"

# 3. Only a blank volume is formatted: a replaced instance finds the member's data and rejoins as the same member.
# blkid -p probes the device itself and exits 2 when it finds no signature at all; any other answer formats nothing.
probe=0
blkid -p "$device" >/dev/null 2>&1 || probe=$?
case "$probe" in
  0) ;;
  2)
    log "formatting the blank volume $VOLUME ($device)"
    "mkfs.$FS_TYPE" -q -L "$KUBEADM_AWS_ETCD_FS_LABEL" -m 0 "$device"
    ;;
  *)
    log "cannot probe $device (blkid exit $probe); formatting nothing"
    exit 1
    ;;
esac
found="$(blkid -p -o value -s TYPE "$device" || true)"
if [ "$found" != "$FS_TYPE" ]; then
  log "volume $VOLUME ($device) holds ${found:-an unknown signature}, not $FS_TYPE: leaving it alone"
  exit 1
fi
uuid="$(blkid -p -o value -s UUID "$device")"

# 4. Mounted by its fstab line (by UUID), which etcd's unit requires (RequiresMountsFor=): after a reboot etcd waits
# for this mount and never starts on the root disk.
mkdir -p "$DATA_DIR"
if ! grep -q "^UUID=$uuid " "$FSTAB"; then
  printf 'UUID=%s %s %s %s 0 2\n' "$uuid" "$DATA_DIR" "$FS_TYPE" "$KUBEADM_AWS_ETCD_MOUNT_OPTIONS" >>"$FSTAB"
fi
systemctl daemon-reload
mountpoint -q "$DATA_DIR" || mount --fstab "$FSTAB" "$DATA_DIR"
log "volume $VOLUME ($device) mounted on $DATA_DIR"

# 5. The member itself.
exec "$KUBEADM_AWS_ETCD_NODE_START"
