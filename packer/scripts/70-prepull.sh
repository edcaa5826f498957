#!/usr/bin/env bash
# The control-plane images at the manifest's versions, pulled into containerd's k8s.io namespace so
# that neither kubeadm nor kubelet downloads anything at boot.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env KUBERNETES_VERSION ETCD_VERSION COREDNS_VERSION PAUSE_VERSION

cat >"${PKA_WORK}/kubeadm-images.yaml" <<CONF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v${KUBERNETES_VERSION}
imageRepository: registry.k8s.io
etcd:
  local:
    imageTag: ${ETCD_VERSION}-0
dns:
  imageTag: v${COREDNS_VERSION}
CONF

kubeadm config images list --config "${PKA_WORK}/kubeadm-images.yaml"
kubeadm config images pull --config "${PKA_WORK}/kubeadm-images.yaml"
# kubeadm pulls its own default pause; the sandbox containerd uses is the manifest's.
crictl pull "registry.k8s.io/pause:${PAUSE_VERSION}"
crictl images
