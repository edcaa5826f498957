# The temporary build instance. One base source; build.pkr.hcl names the two images built from it
# (amazon-ebs.node, amazon-ebs.gpu) and adds what differs: name, tags, root volume size.

locals {
  # Canonical's image names: noble (24.04) is published on gp3, jammy (22.04) on gp2.
  ubuntu_codename = lookup({ "22.04" = "jammy", "24.04" = "noble" }, var.os_release, "unsupported")
  ubuntu_volume   = var.os_release == "22.04" ? "hvm-ssd" : "hvm-ssd-gp3"
  source_ami_name = "ubuntu/images/${local.ubuntu_volume}/ubuntu-${local.ubuntu_codename}-${var.os_release}-amd64-server-*"

  build_stamp = formatdate("YYYYMMDD-hhmmss", timestamp())

  # Informational tags; the lookup filters only on local.<variant>_image_tags (image-tags.pkr.hcl).
  provenance_tags = {
    "pulumi-kubeadm-aws:aws-cli"     = var.aws_cli_version
    "pulumi-kubeadm-aws:source-ami"  = "{{ .SourceAMI }}"
    "pulumi-kubeadm-aws:source-name" = "{{ .SourceAMIName }}"
    "pulumi-kubeadm-aws:built-at"    = local.build_stamp
  }
}

source "amazon-ebs" "base" {
  region                                = var.region
  instance_type                         = var.build_instance_type
  subnet_id                             = var.subnet_id
  associate_public_ip_address           = var.associate_public_ip_address
  temporary_security_group_source_cidrs = var.ssh_source_cidrs
  ssh_username                          = "ubuntu"
  ssh_timeout                           = "10m"

  # The seed: Canonical's own account and a name pattern; never a marketplace copy.
  source_ami_filter {
    filters = {
      name                = local.source_ami_name
      architecture        = "x86_64"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }

  # IMDSv2 only on the build instance, and as the default of every instance launched from the image.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"

  # Private (no ami_groups / ami_users) and encrypted.
  encrypt_boot = true
  kms_key_id   = var.kms_key_id
  ena_support  = true

  run_tags = {
    "Name"                              = "packer-build-pulumi-kubeadm-aws"
    "pulumi-kubeadm-aws:packer-builder" = "true"
  }
}
