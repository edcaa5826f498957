/**
 * Builds the components for a resolved ClusterSpec and returns the stack outputs.
 * The stack program calls it; so can a program that resolves its own ClusterSpec.
 */
import type { ClusterSpec } from "../components/config";

export function buildCluster(spec: ClusterSpec): Record<string, unknown> {
  const outputs: Record<string, unknown> = {
    clusterName: spec.name,
    tier: spec.tier,
    region: spec.region,
    availabilityZones: spec.availabilityZones,
    kubernetesVersion: spec.versions.kubernetes,
  };
  // --- environment (network, bastion, private zone) ---
  // --- cluster (pki, api endpoint, security groups, etcd, control plane, node pools) ---
  return outputs;
}
