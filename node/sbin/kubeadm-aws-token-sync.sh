#!/bin/bash
# shellcheck source-path=SCRIPTDIR/..
# kubeadm-aws: keep the current join token (Secrets Manager) valid in the cluster; never log it.
set -euo pipefail
# shellcheck source=/dev/null
. "${KUBEADM_AWS_ENV:?run through its systemd unit, which sets KUBEADM_AWS_ENV}"
# shellcheck source=lib/lib.sh
. "$KUBEADM_AWS_LIB"
log_as kubeadm-aws-token-sync

"$KUBEADM_AWS_FETCH" >/dev/null
token="$(cat "$KUBEADM_AWS_TOKEN_FILE")"
token_id="${token%%.*}"
listing="$(kubeadm token list --kubeconfig "$KUBEADM_AWS_KUBECONFIG" -o 'jsonpath={.token}{" "}{.expires}{"\n"}')"

found=false
expires=""
while read -r listed listed_expires; do
  if [ "${listed%%.*}" = "$token_id" ]; then
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
  log "join token $token_id is valid until ${expires:-forever}"
  exit 0
fi
if [ "$found" = true ]; then
  kubeadm token delete --kubeconfig "$KUBEADM_AWS_KUBECONFIG" "$token_id" >/dev/null
fi
kubeadm token create --kubeconfig "$KUBEADM_AWS_KUBECONFIG" "$token" --ttl "$KUBEADM_AWS_TOKEN_TTL" \
  --description "$KUBEADM_AWS_TOKEN_DESCRIPTION" --groups "$KUBEADM_AWS_TOKEN_GROUPS" --usages signing,authentication >/dev/null
log "join token $token_id (re)created with TTL $KUBEADM_AWS_TOKEN_TTL"
