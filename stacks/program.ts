/**
 * The stack program: the only place that reads stack config. It resolves
 * `pulumi-kubeadm-aws:cluster` (tier preset + overrides) into a ClusterSpec, failing with every
 * config problem before any resource is created, then builds the components from it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, resolveClusterSpec } from "../components/config";
import { type ClusterSpec } from "../components/spec";
import { buildCluster } from "./build";

export const PROJECT = "pulumi-kubeadm-aws";

/** Reads and resolves this stack's config; throws ConfigError listing every problem. */
export function loadClusterSpec(): ClusterSpec {
  const raw = new pulumi.Config(PROJECT).getObject<unknown>("cluster");
  const spec = resolveClusterSpec(raw);
  const awsRegion = new pulumi.Config("aws").get("region");
  if (awsRegion !== undefined && awsRegion !== spec.region) {
    throw new ConfigError([{ path: "aws:region", message: `is ${awsRegion} but cluster.region is ${spec.region}; they must be equal` }]);
  }
  return spec;
}

/** Entry point run by `pulumi up` (stacks/index.ts) and by the offline plan. */
export async function main(): Promise<Record<string, unknown>> {
  const spec = loadClusterSpec();
  return buildCluster(spec);
}
