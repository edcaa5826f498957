/**
 * A program that uses the library directly, with no stack config: an Environment and a Cluster
 * with its own pools (general on-demand, a spot batch pool, a GPU pool, an ingress pool).
 *
 * In a project of your own, import from "pulumi-kubeadm-aws" instead of "../../components" and make
 * this file the program's entry point (`export = customCluster`).
 */
import * as pulumi from "@pulumi/pulumi";
import { Cluster, Environment, clusterEnvironment, lookupImage, nodePool, resolveClusterSpec, type ClusterSpec } from "../../components";

/** The example's spec: a standard-tier cluster; pools are given to the Cluster separately. */
export function exampleSpec(): ClusterSpec {
  return resolveClusterSpec({
    name: "acme",
    tier: "standard",
    region: "us-east-2",
    availabilityZones: ["us-east-2a", "us-east-2b", "us-east-2c"],
    network: { vpcCidr: "10.42.0.0/16" },
    api: { allowedCidrs: ["192.0.2.0/24"], domain: "k8s.acme.internal" },
    bastion: { sshAllowlist: [] },
    tags: { team: "data", "cost-center": "cc-1234" },
  });
}

/** The example's own pools, built from presets. */
export function examplePools() {
  return [
    nodePool("apps", "general", { minSize: 3, maxSize: 12, desiredSize: 3 }),
    nodePool("batch", "compute", {
      instanceTypes: ["c5.2xlarge", "c5a.2xlarge"],
      minSize: 0,
      maxSize: 40,
      spot: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0 },
      minHealthyPercentage: 50,
    }),
    nodePool("ml", "gpu", { instanceTypes: ["g4dn.xlarge"], minSize: 0, maxSize: 2 }),
    nodePool("edge", "ingress", { minSize: 2, maxSize: 4, labels: { "acme.io/zone-group": "edge" } }),
  ];
}

export function customCluster(): Record<string, unknown> {
  const spec = exampleSpec();
  const env = new Environment("acme", {
    spec,
    bastionImageId: lookupImage({ versions: spec.versions, variant: "node", region: spec.region }),
  });
  const cluster = new Cluster("acme", { spec, environment: clusterEnvironment(env), nodePools: examplePools() });
  return {
    apiName: cluster.apiName,
    kubeconfig: cluster.adminKubeconfig,
    nodePools: cluster.nodePoolGroupNames,
    bastion: cluster.bastionAccess,
    backups: cluster.backupBucketName,
    vpcId: env.vpc.vpcId,
    stack: pulumi.getStack(),
  };
}
