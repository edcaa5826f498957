/** Specs for component tests: each tier resolved the way a stack resolves it. */
import * as pulumi from "@pulumi/pulumi";
import { deepMerge, resolveClusterSpec } from "../../components/config/resolve";
import type { ClusterSpec, TierName } from "../../components/spec/spec";

export const AZS3 = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

/** A cluster config for a tier (dev: 2 AZs, public API; standard: 3 AZs, public; critical: 3 AZs, private), plus overrides. */
export function specFor(tier: TierName, overrides: Record<string, unknown> = {}): ClusterSpec {
  const base = {
    name: `t-${tier}`,
    tier,
    region: "eu-west-1",
    availabilityZones: tier === "dev" ? AZS3.slice(0, 2) : AZS3,
    api: tier === "critical" ? {} : { allowedCidrs: ["203.0.113.0/24"] },
    bastion: { sshAllowlist: tier === "dev" ? ["192.0.2.0/24"] : [] },
  };
  return resolveClusterSpec(deepMerge(base, overrides));
}

/** Holds an Output's (or an array of Outputs') value once the recording has settled. */
export function capture<T>(o: T): { value?: pulumi.Unwrap<T> } {
  const box: { value?: pulumi.Unwrap<T> } = {};
  pulumi.output(o).apply((v) => {
    box.value = v as pulumi.Unwrap<T>;
  });
  return box;
}

/** A Vpc's narrow args, read from a ClusterSpec by the Environment's own function. */
export { vpcArgsOf } from "../../components/environment/environment";
