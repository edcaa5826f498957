#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on a fresh Debian/Ubuntu
# machine, type-checks, runs every test, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Real third-party tools the tests run: cloud-init schema, shellcheck, packer validate, yamllint;
# openssl (certificates, hashes), ssh (the bastion's ProxyJump lines), systemd-analyze (rendered units);
# for the real control plane: unshare/nsenter/mount (util-linux), ip (iproute2), curl, and Debian's
# containerd (a joining kubelet validates its CRI before it bootstraps). etcd, kubeadm and the control
# plane are built below at the manifest's versions, never taken from Debian.
# For the local boot (tools/local-boot): debootstrap and systemd-nspawn (machines), HAProxy (the API load
# balancer), dnsmasq (the VPC resolver), busybox-static (the test pod's image), libseccomp-dev (runc is
# built with seccomp), iptables and conntrack (copied into the kube-proxy image).
APT_PACKAGES=(cloud-init shellcheck packer yamllint openssl openssh-client systemd util-linux util-linux iproute2 curl containerd python3-pip
  debootstrap systemd-container haproxy dnsmasq-base busybox-static libseccomp-dev iptables conntrack)
COMMANDS=(cloud-init shellcheck packer yamllint openssl ssh systemd-analyze unshare nsenter ip curl containerd pip3
  debootstrap systemd-nspawn haproxy dnsmasq /bin/busybox /usr/include/seccomp.h /usr/sbin/xtables-nft-multi /usr/sbin/conntrack)
missing=()
for i in "${!COMMANDS[@]}"; do
  c="${COMMANDS[$i]}"
  if [ "${c:0:1}" = / ]; then [ -e "$c" ] || missing+=("${APT_PACKAGES[$i]}"); continue; fi
  command -v "$c" >/dev/null 2>&1 || missing+=("${APT_PACKAGES[$i]}")
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# AWS APIs on loopback for the boot scripts' tests (moto) and the AWS CLI the scripts call, from PyPI.
if ! command -v moto_server >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
  echo "Installing moto and the AWS CLI from PyPI"
  python3 -m pip install -q 'moto[server]' awscli || pip3 install -q --break-system-packages 'moto[server]' awscli
  # pyenv's shims learn of new console scripts only on a rehash.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi

# The lock file must install as it is: a failed `npm ci` stops here rather than testing stale node_modules.
# (@swc/core is pinned and unrs-resolver overridden to versions whose platform packages all exist in the registry
# this project installs from; with newer ones npm writes a lock file that `npm ci` then rejects.)
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "npm ci failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Real Kubernetes: kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet,
# etcd, etcdctl and etcdutl of the manifest's versions, built from the Go module proxy (tools/k8s/build.ts)
# and cached outside the repository; a second run reuses them in seconds.
echo "== Kubernetes binaries (npm run -s k8s:bin)"
build_started=$(date +%s)
if ! PKA_K8S_BIN="$(npm run -s k8s:bin)"; then
  echo "the Kubernetes build failed (see above); the real-Kubernetes tests cannot run"
  echo "0 passed, 1 failed"
  exit 1
fi
export PKA_K8S_BIN="${PKA_K8S_BIN##*$'\n'}"
echo "Kubernetes binaries in $PKA_K8S_BIN ($(( $(date +%s) - build_started )) s)"

failed_extra=0
# The local boot's node image: containerd, runc, CNI plugins, crictl, CoreDNS and pause built from the Go
# module proxy, the images built from the binaries, then debootstrap and the image's own provisioner
# scripts in a booted machine (tools/local-boot/rootfs.ts). Cached by version; seconds when warm.
echo "== local node image (npm run -s boot:image)"
image_started=$(date +%s)
if npm run -s boot:image; then
  echo "local node image ready ($(( $(date +%s) - image_started )) s)"
else
  echo "the local node image build failed (see above); the local-boot tests will fail"
  export PKA_LOCAL_IMAGE_ERROR="npm run -s boot:image failed in the test command (see its output)"
fi

echo "== typecheck (tsc --noEmit)"
if ! npx tsc --noEmit -p tsconfig.json; then
  echo "typecheck: FAILED"
  failed_extra=$((failed_extra + 1))
fi

echo "== lint (eslint .) and format (prettier --check .)"
if ! npx eslint .; then
  echo "lint: FAILED"
  failed_extra=$((failed_extra + 1))
fi
if ! npx prettier --check . --log-level warn; then
  echo "format: FAILED (npm run format rewrites the files above)"
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
