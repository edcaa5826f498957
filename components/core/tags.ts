/** The tag the library puts on everything it creates: the cluster's name. Nothing else (the CCM, users) sets it. */
export const LIBRARY_CLUSTER_TAG = "pulumi-kubeadm-aws:cluster";

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
