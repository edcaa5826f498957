/**
 * pulumi-kubeadm-aws: Pulumi components for Kubernetes on AWS with kubeadm on EC2.
 * This file is the package's public API.
 */
export * from "./config";
export * from "./tiers";
export * from "./versions";
export * from "./core";
export * from "./images";
