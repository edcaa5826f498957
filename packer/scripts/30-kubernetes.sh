#!/usr/bin/env bash
# kubelet, kubeadm and kubectl at the manifest's versions, checksums verified. kubelet is installed
# disabled: it starts when the node's bootstrap runs kubeadm, never before.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env KUBERNETES_VERSION KUBELET_VERSION KUBELET_SHA256 KUBEADM_SHA256 KUBECTL_SHA256

fetch "https://dl.k8s.io/release/v${KUBELET_VERSION}/bin/linux/amd64/kubelet" "${PKA_WORK}/kubelet" "${KUBELET_SHA256}"
fetch "https://dl.k8s.io/release/v${KUBERNETES_VERSION}/bin/linux/amd64/kubeadm" "${PKA_WORK}/kubeadm" "${KUBEADM_SHA256}"
fetch "https://dl.k8s.io/release/v${KUBERNETES_VERSION}/bin/linux/amd64/kubectl" "${PKA_WORK}/kubectl" "${KUBECTL_SHA256}"
for bin in kubelet kubeadm kubectl; do
  install -m 0755 "${PKA_WORK}/${bin}" "/usr/local/bin/${bin}"
done

install -d -m 0755 /etc/kubernetes/manifests /var/lib/kubelet /etc/systemd/system/kubelet.service.d

cat >/etc/systemd/system/kubelet.service <<'UNIT'
[Unit]
Description=kubelet: the Kubernetes node agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target containerd.service
After=network-online.target containerd.service
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT

# The arguments kubeadm expects: it writes kubeadm-flags.env and config.yaml at init/join.
cat >/etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<'UNIT'
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
UNIT

systemctl daemon-reload
systemctl disable kubelet.service
# And it stays disabled on an instance's first boot: 99-cleanup.sh leaves the machine id uninitialized,
# so systemd applies the presets then, and a unit no preset names is enabled.
install -d -m 0755 /etc/systemd/system-preset
cat >/etc/systemd/system-preset/80-kubeadm-aws.preset <<'PRESET'
disable kubelet.service
PRESET
