/** The tag the library puts on everything it creates: the cluster's name. Nothing else (the CCM, users) sets it. */
export const LIBRARY_CLUSTER_TAG = "pulumi-kubeadm-aws:cluster";

/** The library's own tags on machines and their volumes (IAM conditions read them: keep the keys here only). */
export const ROLE_TAGS = {
  /** A pool's instances, volumes and group: the pool's name (a worker may mark only its own group Unhealthy). */
  nodePool: "pulumi-kubeadm-aws:node-pool",
  /** A machine's role: `control-plane` or `etcd`. */
  role: "pulumi-kubeadm-aws:role",
  /** A dedicated member's instance and data volume: the member's name. */
  etcdMember: "pulumi-kubeadm-aws:etcd-member",
} as const;

/** The tag that marks what belongs to a cluster for Kubernetes' AWS integrations; the CCM sets it on what it creates. */
export function ownershipTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}

/** Tags every taggable resource carries. */
export function clusterTags(clusterName: string, extra: Record<string, string> = {}, name?: string): Record<string, string> {
  return {
    ...extra,
    [LIBRARY_CLUSTER_TAG]: clusterName,
    [ownershipTagKey(clusterName)]: "owned",
    ...(name ? { Name: name } : {}),
  };
}
