#!/usr/bin/env bash
# containerd, runc and the CNI reference plugins at the manifest's versions, checksums verified.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env CONTAINERD_VERSION CONTAINERD_SHA256 RUNC_VERSION RUNC_SHA256 \
  CNI_PLUGINS_VERSION CNI_PLUGINS_SHA256 CRICTL_VERSION CRICTL_SHA256 PAUSE_VERSION

fetch "https://github.com/containerd/containerd/releases/download/v${CONTAINERD_VERSION}/containerd-${CONTAINERD_VERSION}-linux-amd64.tar.gz" \
  "${PKA_WORK}/containerd.tar.gz" "${CONTAINERD_SHA256}"
tar -C /usr/local -xzf "${PKA_WORK}/containerd.tar.gz"

fetch "https://github.com/opencontainers/runc/releases/download/v${RUNC_VERSION}/runc.amd64" \
  "${PKA_WORK}/runc" "${RUNC_SHA256}"
install -m 0755 "${PKA_WORK}/runc" /usr/local/sbin/runc

fetch "https://github.com/containernetworking/plugins/releases/download/v${CNI_PLUGINS_VERSION}/cni-plugins-linux-amd64-v${CNI_PLUGINS_VERSION}.tgz" \
  "${PKA_WORK}/cni-plugins.tgz" "${CNI_PLUGINS_SHA256}"
install -d -m 0755 /opt/cni/bin /etc/cni/net.d
tar -C /opt/cni/bin -xzf "${PKA_WORK}/cni-plugins.tgz"

fetch "https://github.com/kubernetes-sigs/cri-tools/releases/download/v${CRICTL_VERSION}/crictl-v${CRICTL_VERSION}-linux-amd64.tar.gz" \
  "${PKA_WORK}/crictl.tgz" "${CRICTL_SHA256}"
tar -C /usr/local/bin -xzf "${PKA_WORK}/crictl.tgz" crictl
cat >/etc/crictl.yaml <<'CONF'
runtime-endpoint: unix:///run/containerd/containerd.sock
image-endpoint: unix:///run/containerd/containerd.sock
timeout: 10
CONF

# containerd 2.x configuration (version 3): systemd cgroups as kubelet expects (cgroupDriver: systemd),
# and the manifest's pause image pinned so that image garbage collection never removes it.
install -d -m 0755 /etc/containerd /etc/containerd/conf.d
cat >/etc/containerd/config.toml <<CONF
version = 3
imports = ['/etc/containerd/conf.d/*.toml']

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:${PAUSE_VERSION}'

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'runc'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  BinaryName = '/usr/local/sbin/runc'
  SystemdCgroup = true
CONF

cat >/etc/systemd/system/containerd.service <<'UNIT'
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target dbus.service

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now containerd

dump="$(containerd config dump)"
grep -Eq "SystemdCgroup = true" <<<"${dump}" || die "containerd does not use the systemd cgroup driver"
grep -Fq "registry.k8s.io/pause:${PAUSE_VERSION}" <<<"${dump}" || die "containerd does not pin pause ${PAUSE_VERSION}"
