#!/usr/bin/env bash
# Kernel modules and sysctls a kubeadm node needs, and the ones kubelet's
# protectKernelDefaults expects to find already set.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"

# The modules and the pod-networking settings: the files every node's bundle installs again at boot,
# generated from components/bootstrap/units.ts (npm run images:vars) and uploaded beside this script.
here="$(dirname "${PKA_LIB:-/var/tmp/pka/lib.sh}")"
install -m 0644 "${here}/kubernetes-modules.conf" /etc/modules-load.d/kubernetes.conf
install -m 0644 "${here}/kubernetes-net.conf" /etc/sysctl.d/91-kubernetes-net.conf
mapfile -t modules < <(grep -v -e '^#' -e '^$' /etc/modules-load.d/kubernetes.conf)
modprobe -a "${modules[@]}"

cat >/etc/sysctl.d/90-kubernetes.conf <<'CONF'
# The kernel settings kubelet's protectKernelDefaults requires are written at boot, beside the kubelet
# configuration they belong to (components/bootstrap/units.ts, /etc/sysctl.d/90-kubelet.conf): one source.
# Many pods watch many files.
fs.inotify.max_user_instances = 8192
fs.inotify.max_user_watches = 524288
CONF
sysctl --system >/dev/null

# kubelet refuses to run with swap on; Ubuntu's cloud images have none, keep it that way.
if swapon --show=NAME --noheadings | grep -q .; then die "the seed has swap enabled"; fi
