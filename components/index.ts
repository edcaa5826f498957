/**
 * pulumi-kubeadm-aws: Pulumi components for Kubernetes on AWS with kubeadm on EC2.
 * This file is the package's public API.
 */
export * from "./spec";
export * from "./config";
export * from "./tiers";
export * from "./versions";
export * from "./core";
export * from "./images";
export * from "./network";
export * from "./security";
export * from "./bastion";
export * from "./api-endpoint";
export * from "./environment";
export * from "./etcd";
export * from "./backup";
export * from "./control-plane";
export * from "./node-pools";
export * from "./cluster";
export * from "./pki";
export * from "./bootstrap";
export * from "./iam";
