#!/usr/bin/env bash
# Kernel modules and sysctls a kubeadm node needs, and the ones kubelet's
# protectKernelDefaults expects to find already set.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"

cat >/etc/modules-load.d/kubernetes.conf <<'CONF'
overlay
br_netfilter
CONF
modprobe overlay
modprobe br_netfilter

cat >/etc/sysctl.d/90-kubernetes.conf <<'CONF'
# Pod traffic crosses bridges and is routed by the node.
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
# The kernel settings kubelet's protectKernelDefaults requires are written at boot, beside the kubelet
# configuration they belong to (components/bootstrap/units.ts, /etc/sysctl.d/90-kubelet.conf): one source.
# Many pods watch many files.
fs.inotify.max_user_instances = 8192
fs.inotify.max_user_watches = 524288
CONF
sysctl --system >/dev/null

# kubelet refuses to run with swap on; Ubuntu's cloud images have none, keep it that way.
if swapon --show=NAME --noheadings | grep -q .; then die "the seed has swap enabled"; fi
