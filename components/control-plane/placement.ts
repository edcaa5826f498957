/**
 * Where control-plane nodes go and what each one does at boot, pure.
 */
import { controlPlaneRole } from "../core/roles";

export interface ControlPlaneNode {
  /** 0-based node index; the node's name is `<component>-<index>`. */
  index: number;
  /** Index into the private subnets / AZs (round-robin). */
  azIndex: number;
  /** Node 0 runs `kubeadm init` on a new cluster; the others `kubeadm join --control-plane`. */
  bootstrap: "init" | "join";
  /** The artifact role name its boot files are published under. */
  role: string;
}

/** `count` nodes spread round-robin over `azCount` AZs: node i goes to AZ i mod azCount. */
export function spreadOverAzs(count: number, azCount: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`control plane: count must be a positive integer (got ${count})`);
  if (!Number.isInteger(azCount) || azCount < 1) throw new Error(`control plane: needs at least one private subnet (got ${azCount})`);
  return Array.from({ length: count }, (_, i) => i % azCount);
}

/** The plan of a control plane: one entry per node. */
export function controlPlaneNodes(count: number, azCount: number): ControlPlaneNode[] {
  return spreadOverAzs(count, azCount).map((azIndex, index) => ({
    index,
    azIndex,
    bootstrap: index === 0 ? "init" : "join",
    role: controlPlaneRole(index),
  }));
}

/**
 * The largest number of nodes that share one AZ; with 3 nodes over 3 AZs it is 1, so losing an AZ
 * keeps a quorum of stacked etcd members (2 of 3).
 */
export function maxNodesPerAz(count: number, azCount: number): number {
  const per = new Array<number>(azCount).fill(0);
  for (const az of spreadOverAzs(count, azCount)) per[az]!++;
  return Math.max(...per);
}
