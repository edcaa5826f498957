# Two images from one recipe: `packer build -only=amazon-ebs.node .` or `-only=amazon-ebs.gpu .`
# The GPU image is the node image plus the NVIDIA driver and container toolkit.

locals {
  script_env = [
    "KUBERNETES_VERSION=${var.kubernetes_version}",
    "KUBELET_VERSION=${var.kubelet_version}",
    "ETCD_VERSION=${var.etcd_version}",
    "CONTAINERD_VERSION=${var.containerd_version}",
    "RUNC_VERSION=${var.runc_version}",
    "CNI_PLUGINS_VERSION=${var.cni_plugins_version}",
    "CRICTL_VERSION=${var.crictl_version}",
    "COREDNS_VERSION=${var.coredns_version}",
    "PAUSE_VERSION=${var.pause_version}",
    "AWS_CLI_VERSION=${var.aws_cli_version}",
    "NVIDIA_DRIVER_BRANCH=${var.nvidia_driver_branch}",
    "NVIDIA_CONTAINER_TOOLKIT_VERSION=${var.nvidia_container_toolkit_version}",
    "KUBELET_SHA256=${var.kubelet_sha256}",
    "KUBEADM_SHA256=${var.kubeadm_sha256}",
    "KUBECTL_SHA256=${var.kubectl_sha256}",
    "CONTAINERD_SHA256=${var.containerd_sha256}",
    "RUNC_SHA256=${var.runc_sha256}",
    "CNI_PLUGINS_SHA256=${var.cni_plugins_sha256}",
    "CRICTL_SHA256=${var.crictl_sha256}",
    "ETCD_SHA256=${var.etcd_sha256}",
    "AWS_CLI_SHA256=${var.aws_cli_sha256}",
    "PKA_LIB=/var/tmp/pka/lib.sh",
  ]
  run_script = "chmod +x {{ .Path }}; sudo -E env {{ .Vars }} bash {{ .Path }}"
}

build {
  source "amazon-ebs.base" {
    name            = "node"
    ami_name        = "${var.ami_name_prefix}-node-k8s-${var.kubernetes_version}-${local.build_stamp}"
    ami_description = "pulumi-kubeadm-aws node image: Kubernetes ${var.kubernetes_version}, containerd ${var.containerd_version}, etcd ${var.etcd_version}, Ubuntu ${var.os_release}"
    tags            = merge(local.provenance_tags, local.node_image_tags, { Name = "${var.ami_name_prefix}-node-k8s-${var.kubernetes_version}" })
    snapshot_tags   = merge(local.provenance_tags, local.node_image_tags, { Name = "${var.ami_name_prefix}-node-k8s-${var.kubernetes_version}" })
    launch_block_device_mappings {
      device_name           = "/dev/sda1"
      volume_size           = var.root_volume_gib
      volume_type           = "gp3"
      iops                  = 3000
      throughput            = 125
      encrypted             = true
      delete_on_termination = true
    }
  }

  source "amazon-ebs.base" {
    name            = "gpu"
    ami_name        = "${var.ami_name_prefix}-gpu-k8s-${var.kubernetes_version}-${local.build_stamp}"
    ami_description = "pulumi-kubeadm-aws GPU image: Kubernetes ${var.kubernetes_version}, NVIDIA ${var.nvidia_driver_branch}-server, container toolkit ${var.nvidia_container_toolkit_version}, Ubuntu ${var.os_release}"
    tags            = merge(local.provenance_tags, local.gpu_image_tags, { Name = "${var.ami_name_prefix}-gpu-k8s-${var.kubernetes_version}" })
    snapshot_tags   = merge(local.provenance_tags, local.gpu_image_tags, { Name = "${var.ami_name_prefix}-gpu-k8s-${var.kubernetes_version}" })
    launch_block_device_mappings {
      device_name           = "/dev/sda1"
      volume_size           = var.gpu_root_volume_gib
      volume_type           = "gp3"
      iops                  = 3000
      throughput            = 125
      encrypted             = true
      delete_on_termination = true
    }
  }

  # The helpers every script sources.
  provisioner "shell" {
    inline = ["mkdir -p /var/tmp/pka"]
  }
  provisioner "file" {
    source      = "${path.root}/scripts/lib.sh"
    destination = "/var/tmp/pka/lib.sh"
  }
  # The kernel modules and settings every node's bundle also installs (generated: npm run images:vars).
  provisioner "file" {
    source      = "${path.root}/scripts/kubernetes-modules.conf"
    destination = "/var/tmp/pka/kubernetes-modules.conf"
  }
  provisioner "file" {
    source      = "${path.root}/scripts/kubernetes-net.conf"
    destination = "/var/tmp/pka/kubernetes-net.conf"
  }

  # Security updates of the seed, then a reboot so that the running kernel is the one the image
  # boots (the GPU driver's modules are installed for it).
  provisioner "shell" {
    environment_vars = local.script_env
    execute_command  = local.run_script
    script           = "${path.root}/scripts/00-base.sh"
  }
  provisioner "shell" {
    inline            = ["sudo systemctl reboot"]
    expect_disconnect = true
  }

  provisioner "shell" {
    pause_before     = "30s"
    environment_vars = local.script_env
    execute_command  = local.run_script
    scripts = [
      "${path.root}/scripts/10-kernel.sh",
      "${path.root}/scripts/20-containerd.sh",
      "${path.root}/scripts/30-kubernetes.sh",
      "${path.root}/scripts/40-etcd.sh",
      "${path.root}/scripts/50-aws-cli.sh",
    ]
  }

  provisioner "shell" {
    only             = ["amazon-ebs.gpu"]
    environment_vars = local.script_env
    execute_command  = local.run_script
    script           = "${path.root}/scripts/60-nvidia.sh"
  }

  # Pre-pull last: the GPU image's containerd runs with the nvidia runtime by then.
  provisioner "shell" {
    environment_vars = local.script_env
    execute_command  = local.run_script
    scripts = [
      "${path.root}/scripts/70-prepull.sh",
      "${path.root}/scripts/90-verify.sh",
      "${path.root}/scripts/99-cleanup.sh",
    ]
  }

  post-processor "manifest" {
    output     = "${path.root}/build-manifest.json"
    strip_path = true
  }
}
