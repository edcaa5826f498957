# Build settings. The versions and checksums of what the images contain are not here: they come from
# the platform version manifest (manifest-variables.pkr.hcl, versions.auto.pkrvars.json, generated).

variable "region" {
  type        = string
  description = "AWS region the images are built and registered in (the cluster's region). Required."
}

variable "ssh_source_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the temporary build instance on SSH (where Packer runs, e.g. [\"203.0.113.7/32\"]). Required: there is no open default."
}

variable "build_instance_type" {
  type        = string
  default     = "m5.large"
  description = "Instance type of the temporary build instance (x86_64; the GPU image does not need a GPU to build)."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet of the build instance. Default: a default-VPC subnet."
}

variable "associate_public_ip_address" {
  type        = bool
  default     = true
  description = "Give the build instance a public IP (false when Packer runs inside the VPC)."
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key that encrypts the image snapshots. Default: the account's aws/ebs key (use a customer key to share images across accounts)."
}

variable "root_volume_gib" {
  type        = number
  default     = 20
  description = "Root volume (and image snapshot) size of the node image, GiB. Nodes may launch with larger volumes."
}

variable "gpu_root_volume_gib" {
  type        = number
  default     = 40
  description = "Root volume (and image snapshot) size of the GPU image, GiB (the NVIDIA driver and libraries need room)."
}

variable "ami_name_prefix" {
  type        = string
  default     = "pulumi-kubeadm-aws"
  description = "Prefix of the image names; names end with the variant, the Kubernetes version and the build time."
}
