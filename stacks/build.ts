/**
 * Builds the components for a resolved ClusterSpec and returns the stack outputs.
 * The stack program calls it; so can a program that resolves its own ClusterSpec.
 */
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../components/cluster";
import type { ClusterSpec } from "../components/spec";
import { Environment, clusterEnvironment } from "../components/environment";
import { lookupImage } from "../components/images";
import { planSummary } from "../components/network";

export function buildCluster(spec: ClusterSpec): Record<string, unknown> {
  const outputs: Record<string, unknown> = {
    clusterName: spec.name,
    tier: spec.tier,
    region: spec.region,
    availabilityZones: spec.availabilityZones,
    kubernetesVersion: spec.versions.kubernetes,
  };
  // --- environment (network, bastion, private zone, shared backup bucket) ---
  const env = new Environment(spec.name, {
    spec,
    bastionImageId: spec.bastion.enabled
      ? lookupImage({ versions: spec.versions, variant: "node", region: spec.region, pinnedId: spec.images.nodeAmi })
      : undefined,
    // Stacks deployed while the bucket belonged to the Cluster (same name) keep their bucket.
    backupBucketAliases: [{ parent: pulumi.createUrn(spec.name, "pulumi-kubeadm-aws:cluster:Cluster") }],
  });
  outputs.vpcId = env.vpc.vpcId;
  outputs.subnetPlan = env.subnetPlan ? planSummary(env.subnetPlan) : "existing VPC (not planned here)";
  outputs.publicSubnetIds = env.vpc.publicSubnetIds;
  outputs.privateSubnetIds = env.vpc.privateSubnetIds;
  outputs.privateZoneId = env.zoneId;
  if (env.bastionAccess) outputs.bastion = env.bastionAccess;
  // --- cluster (pki, api endpoint, security groups, etcd, control plane, node pools) ---
  const cluster = new Cluster(spec.name, { spec, environment: clusterEnvironment(env) });
  outputs.apiName = cluster.apiName;
  if (cluster.apiEndpoint) outputs.apiLoadBalancerDnsName = cluster.apiEndpoint.loadBalancerDnsName;
  outputs.adminKubeconfig = cluster.adminKubeconfig;
  outputs.nodePoolGroupNames = cluster.nodePoolGroupNames;
  outputs.bastionAccess = cluster.bastionAccess;
  outputs.backupBucket = cluster.backupBucketName;
  outputs.controlPlanePrivateIps = cluster.controlPlane.privateIps;
  return outputs;
}
