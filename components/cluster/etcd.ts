/**
 * The cluster's etcd, by the spec's layout, composed by the Cluster next to its control plane:
 * - stacked: kubeadm runs it on the control-plane nodes; nothing here;
 * - colocated-on-host: `ColocatedEtcd` (fixed addresses, member certificates and files that the
 *   control-plane nodes' boots carry);
 * - dedicated: `EtcdCluster` (its own machines, booted like every other role; the control plane is
 *   created and replaced after the members).
 */
import type { RoleExtension } from "../bootstrap/extensions";
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../spec/spec";
import { EtcdCluster, type EtcdSubnetRef } from "../etcd/cluster";
import { ColocatedEtcd } from "../etcd/colocated";
import { etcdLayout } from "../bootstrap/kubeadm-etcd";
import type { ClusterPki } from "../pki/pki";
import type { ClusterEnvironment } from "../environment/seam";

export interface ClusterEtcdArgs {
  /** The resolved spec (its etcd layout, members, backup). Required. */
  spec: ClusterSpec;
  /** The environment (private subnets and their CIDRs, the private zone). Required. */
  environment: ClusterEnvironment;
  /** The cluster's trust (its etcd CA signs the members). Required. */
  pki: ClusterPki;
  /** The bootstrap KMS key (dedicated members' bundles). Required. */
  bootstrapKmsKeyArn: pulumi.Input<string>;
  /** The etcd security groups (dedicated members). Required. */
  securityGroupIds: pulumi.Input<string>[];
  /** The node image (dedicated members boot it too). Required. */
  imageId: pulumi.Input<string>;
  /** Where snapshots go. Required. */
  backup: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> };
  /** The user's own files and units on dedicated members. @default undefined (none) */
  extension?: RoleExtension;
}

/** What the control plane's boots need from the cluster's etcd. */
export interface ClusterEtcd {
  /** Dedicated members. */
  dedicated?: EtcdCluster;
  /** Colocated on-host members (on the control-plane nodes). */
  colocated?: ColocatedEtcd;
  /** Client URLs of the members, one Output each (external etcd); undefined with stacked etcd. */
  endpoints?: pulumi.Output<string>[];
}

/** Private subnets with their CIDRs (from the environment, or read from AWS for an existing VPC). */
function etcdSubnets(spec: ClusterSpec, env: ClusterEnvironment, parent: pulumi.Resource): EtcdSubnetRef[] {
  return env.privateSubnetIds.map((id, i) => ({
    id,
    availabilityZone: spec.availabilityZones[i]!,
    cidrBlock: env.privateSubnetCidrs?.[i] ?? aws.ec2.getSubnetOutput({ id }, { parent }).cidrBlock,
  }));
}

/** Builds the spec's etcd under `parent` (named `${name}-etcd`). */
export function clusterEtcd(name: string, args: ClusterEtcdArgs, parent: pulumi.Resource): ClusterEtcd {
  const { spec } = args;
  const layout = etcdLayout(spec.etcd);
  const ca = { certPem: args.pki.etcdCaCertPem, privateKeyPem: args.pki.etcdCaKeyPem };
  const perMember = (all: pulumi.Output<string[]>) => Array.from({ length: spec.etcd.members }, (_, i) => all.apply((e) => e[i]!));
  if (layout === "dedicated-on-host" || layout === "dedicated-containerized") {
    const dedicated = new EtcdCluster(
      `${name}-etcd`,
      {
        spec,
        privateSubnets: etcdSubnets(spec, args.environment, parent),
        securityGroupIds: args.securityGroupIds,
        ca,
        backup: args.backup,
        privateZoneId: args.environment.zoneId,
        imageId: args.imageId,
        bootstrapKmsKeyArn: args.bootstrapKmsKeyArn,
        ...(args.extension ? { extension: args.extension } : {}),
      },
      { parent },
    );
    return { dedicated, endpoints: perMember(dedicated.endpoints) };
  }
  if (layout === "colocated-on-host") {
    const colocated = new ColocatedEtcd(
      `${name}-etcd`,
      {
        spec,
        privateSubnets: etcdSubnets(spec, args.environment, parent),
        ca,
        backupBucketName: args.backup.bucketName,
        privateZoneId: args.environment.zoneId,
      },
      { parent },
    );
    return { colocated, endpoints: perMember(colocated.endpoints) };
  }
  return {};
}
