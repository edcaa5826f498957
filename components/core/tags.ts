/** Tags every taggable resource carries. */
export function clusterTags(clusterName: string, extra: Record<string, string> = {}, name?: string): Record<string, string> {
  return {
    ...extra,
    "pulumi-kubeadm-aws:cluster": clusterName,
    [`kubernetes.io/cluster/${clusterName}`]: "owned",
    ...(name ? { Name: name } : {}),
  };
}
