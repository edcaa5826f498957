#!/usr/bin/env bash
# Local stand-in for packer/scripts/70-prepull.sh (which pulls from registry.k8s.io): the images
# built from the local binaries are imported into containerd's k8s.io namespace, pinned, so that
# neither kubeadm nor the kubelet pulls at boot. 90-verify.sh then checks every image by name.
# shellcheck source=/dev/null
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env PKA_IMAGES_DIR
for archive in "${PKA_IMAGES_DIR}"/*.tar; do
  ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned "${archive}"
done
crictl images
