#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: fetch this node's bundle (Secrets Manager, instance role; retried) and write its files.
#   kubeadm-aws-fetch-bundle               fetch and unpack (the boot, before each attempt; the token sync)
#   kubeadm-aws-fetch-bundle --first-boot  the bootstrap unit's first step: only while the boot script is
#                                          not installed yet (it comes with the bundle); a worker whose
#                                          bundle never arrives asks its group to replace it
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
log_as kubeadm-aws-fetch-bundle

if [ "${1:-}" = --first-boot ] && [ -x "$KUBEADM_AWS_BOOT_SCRIPT" ]; then
  exit 0
fi
umask 077
# The bundle holds keys: it waits beside the boot's state (root only), never in a shared /tmp.
mkdir -p "$KUBEADM_AWS_STATE_DIR"
bundle="$(mktemp -p "$KUBEADM_AWS_STATE_DIR" .bundle.XXXXXX)"
trap 'rm -f "$bundle"' EXIT
read_bundle() {
  aws secretsmanager get-secret-value --region "$KUBEADM_AWS_REGION" --secret-id "$KUBEADM_AWS_SECRET_ID" \
    --query SecretString --output text >"$bundle"
}
if ! retry "$KUBEADM_AWS_FETCH_ATTEMPTS" "reading $KUBEADM_AWS_SECRET_ID" read_bundle; then
  [ "${1:-}" != --first-boot ] || mark_unhealthy "its bundle could not be read"
  exit 1
fi
python3 "$KUBEADM_AWS_UNPACK" "$KUBEADM_AWS_BUNDLE_FORMAT" "$KUBEADM_AWS_BUNDLE_PATHS" "$bundle"
