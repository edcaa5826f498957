#!/usr/bin/env bash
# Helpers sourced by every provisioner script (uploaded to /var/tmp/pka/lib.sh by build.pkr.hcl).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PKA_WORK="${PKA_WORK:-/var/tmp/pka/work}"
mkdir -p "${PKA_WORK}"

log() {
  printf '[pka %s] %s\n' "$(date -u +%H:%M:%S)" "$*"
}

die() {
  printf '[pka] ERROR: %s\n' "$*" >&2
  exit 1
}

# require_env NAME...: fails naming every variable that is unset or empty.
require_env() {
  local missing=() name
  for name in "$@"; do
    if [ -z "${!name:-}" ]; then missing+=("${name}"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then die "missing environment: ${missing[*]}"; fi
}

# fetch URL DEST SHA256: downloads over https only and keeps the file only if its sha256 matches.
# With PKA_MIRROR_DIR set (the offline local image build, tools/local-boot), the file of the URL's
# name is copied from that folder instead, and the same sha256 check applies.
fetch() {
  local url="$1" dest="$2" sum="$3"
  case "${sum}" in
    *[!0-9a-f]* | "") die "sha256 for ${url} is not lowercase hex: '${sum}'" ;;
  esac
  [ "${#sum}" -eq 64 ] || die "sha256 for ${url} must have 64 hex digits"
  if [ -n "${PKA_MIRROR_DIR:-}" ]; then
    log "copy ${url##*/} from ${PKA_MIRROR_DIR}"
    cp "${PKA_MIRROR_DIR}/${url##*/}" "${dest}.part" || die "${url##*/} is not in ${PKA_MIRROR_DIR}"
  else
    log "download ${url}"
    curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 \
      --retry 5 --retry-delay 3 --connect-timeout 15 --output "${dest}.part" "${url}"
  fi
  if ! printf '%s  %s\n' "${sum}" "${dest}.part" | sha256sum --check --strict --quiet -; then
    rm -f "${dest}.part"
    die "sha256 mismatch for ${url} (expected ${sum})"
  fi
  mv "${dest}.part" "${dest}"
}

# apt_install PACKAGE...: installs without recommends, waiting for other apt users.
apt_install() {
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@"
}
