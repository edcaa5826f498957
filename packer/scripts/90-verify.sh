#!/usr/bin/env bash
# Fails the build unless the image holds exactly what the manifest (and so the AMI's tags) says.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env KUBERNETES_VERSION KUBELET_VERSION ETCD_VERSION CONTAINERD_VERSION RUNC_VERSION \
  CRICTL_VERSION COREDNS_VERSION PAUSE_VERSION AWS_CLI_VERSION

failures=0
expect() {
  local what="$1" want="$2" got="$3"
  if grep -Fq -- "${want}" <<<"${got}"; then
    log "ok: ${what}"
  else
    printf '[pka] MISMATCH %s: want "%s", got "%s"\n' "${what}" "${want}" "${got}" >&2
    failures=$((failures + 1))
  fi
}

expect kubelet "Kubernetes v${KUBELET_VERSION}" "$(kubelet --version)"
expect kubeadm "v${KUBERNETES_VERSION}" "$(kubeadm version -o short)"
expect kubectl "v${KUBERNETES_VERSION}" "$(kubectl version --client)"
expect containerd "v${CONTAINERD_VERSION}" "$(containerd --version)"
expect runc "runc version ${RUNC_VERSION}" "$(runc --version)"
expect crictl "v${CRICTL_VERSION}" "$(crictl --version)"
expect etcd "etcd Version: ${ETCD_VERSION}" "$(etcd --version)"
expect etcdctl "etcdctl version: ${ETCD_VERSION}" "$(etcdctl version)"
# etcd 3.6 restores only with etcdutl (etcd-restore needs it).
expect etcdutl "etcdutl version: ${ETCD_VERSION}" "$(etcdutl version)"
expect aws-cli "aws-cli/${AWS_CLI_VERSION} " "$(aws --version)"
expect "cni bridge plugin" "bridge" "$(ls /opt/cni/bin)"

images="$(crictl images -o json | jq -r '.images[].repoTags[]')"
for image in "kube-apiserver:v${KUBERNETES_VERSION}" "kube-controller-manager:v${KUBERNETES_VERSION}" \
  "kube-scheduler:v${KUBERNETES_VERSION}" "kube-proxy:v${KUBERNETES_VERSION}" \
  "etcd:${ETCD_VERSION}-0" "coredns:v${COREDNS_VERSION}" "pause:${PAUSE_VERSION}"; do
  expect "image ${image}" "${image}" "${images}"
done

expect "kubelet disabled until bootstrap" "disabled" "$(systemctl is-enabled kubelet.service || true)"
expect "kubelet not running" "inactive" "$(systemctl is-active kubelet.service || true)"
expect "containerd enabled" "enabled" "$(systemctl is-enabled containerd.service)"
expect "ip forwarding" "1" "$(sysctl -n net.ipv4.ip_forward)"
expect "bridged traffic seen by iptables" "1" "$(sysctl -n net.bridge.bridge-nf-call-iptables)"
# What the modules give, loaded or built in: the overlay filesystem, and bridged traffic through iptables.
expect "overlay filesystem" "overlay" "$(grep -w overlay /proc/filesystems || true)"
expect "br_netfilter" "present" "$([ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && echo present || echo missing)"

if [ -e /etc/kubernetes/admin.conf ] || [ -e /var/lib/kubelet/config.yaml ]; then
  die "the image carries cluster state; it must be generic"
fi
[ "${failures}" -eq 0 ] || die "${failures} check(s) failed"
