#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on a fresh Debian/Ubuntu
# machine, type-checks, runs every test, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# Real third-party validators the tests run: cloud-init schema, shellcheck, packer validate,
# a real etcd cluster on 127.0.0.1 (etcd, etcdctl), yamllint; openssl (test certificates, hashes),
# ssh (parses the bastion's ProxyJump lines) and systemd-analyze (verifies rendered units).
APT_PACKAGES=(cloud-init shellcheck packer etcd-server etcd-client yamllint openssl openssh-client systemd)
COMMANDS=(cloud-init shellcheck packer etcd etcdctl yamllint openssl ssh systemd-analyze)
missing=()
for i in "${!COMMANDS[@]}"; do
  command -v "${COMMANDS[$i]}" >/dev/null 2>&1 || missing+=("${APT_PACKAGES[$i]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing ${missing[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's etcd-server package starts a system etcd on 127.0.0.1:2379; the tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
pkill -x etcd 2>/dev/null || true

# The lock file must install as it is: a failed `npm ci` stops here rather than testing stale node_modules.
# (@swc/core is pinned and unrs-resolver overridden to versions whose platform packages all exist in the registry
# this project installs from; with newer ones npm writes a lock file that `npm ci` then rejects.)
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "npm ci failed"
  echo "0 passed, 1 failed"
  exit 1
fi

failed_extra=0
echo "== typecheck (tsc --noEmit)"
if ! npx tsc --noEmit -p tsconfig.json; then
  echo "typecheck: FAILED"
  failed_extra=$((failed_extra + 1))
fi

echo "== jest"
report="$(mktemp)"
npx jest --ci --json --outputFile="$report" "$@"
jest_rc=$?

read -r passed failed < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const broken = r.numRuntimeErrorTestSuites || 0;
  console.log(r.numPassedTests, r.numFailedTests + broken);
' "$report" 2>/dev/null || echo "0 1")
rm -f "$report"
failed=$((failed + failed_extra))
if [ "$jest_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
