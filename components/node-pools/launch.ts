/**
 * Pure builders of a pool's launch template and Auto Scaling group arguments. The NodePool
 * component wires Outputs (image id, user data, security groups) into them; tests read them directly.
 */
import type { NodePoolSpec } from "../spec/spec";

/** Whether the group needs a mixed instances policy: spot, or more than one instance type. */
export function needsMixedInstances(pool: Pick<NodePoolSpec, "instanceTypes" | "spot">): boolean {
  return pool.spot !== undefined || pool.instanceTypes.length > 1;
}

/**
 * The mixed instances policy of a pool: instance types as overrides in preference order;
 * on-demand first (`prioritized`), spot by `price-capacity-optimized`. Without spot, everything
 * is on-demand (100% above a base of 0).
 */
export function mixedInstancesPolicy<T>(pool: Pick<NodePoolSpec, "instanceTypes" | "spot">, launchTemplateId: T, version: T) {
  return {
    instancesDistribution: {
      onDemandAllocationStrategy: "prioritized",
      onDemandBaseCapacity: pool.spot?.onDemandBaseCapacity ?? 0,
      onDemandPercentageAboveBaseCapacity: pool.spot ? pool.spot.onDemandPercentageAboveBaseCapacity : 100,
      spotAllocationStrategy: "price-capacity-optimized",
    },
    launchTemplate: {
      launchTemplateSpecification: { launchTemplateId, version },
      overrides: pool.instanceTypes.map((instanceType) => ({ instanceType })),
    },
  };
}

/** Seconds a new node gets to join and become Ready before it counts as healthy during a refresh. */
export const NODE_WARMUP_SECONDS = 300;

/**
 * Rolling instance refresh: started by the provider whenever the launch template (its version)
 * or the mixed instances policy changes; keeps `minHealthyPercentage` of the pool in service.
 */
export function instanceRefresh(pool: Pick<NodePoolSpec, "minHealthyPercentage">) {
  return {
    strategy: "Rolling",
    preferences: {
      minHealthyPercentage: pool.minHealthyPercentage,
      // At 100% healthy the group must launch before it terminates: allow 10% above desired then.
      maxHealthyPercentage: pool.minHealthyPercentage >= 100 ? 110 : 100,
      instanceWarmup: String(NODE_WARMUP_SECONDS),
      skipMatching: true,
      scaleInProtectedInstances: "Ignore",
      standbyInstances: "Ignore",
    },
  };
}
