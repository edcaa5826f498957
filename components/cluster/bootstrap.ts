/**
 * The default bootstrap side of a Cluster: ClusterPki (trust), a BootstrapKey (KMS), dedicated etcd
 * members when the spec asks for them, and a RoleBootstrap per control-plane node and per pool
 * (Secrets Manager bundle + instance role + user-data stub; artifacts published per role).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { controlPlaneBootstrapArgs, workerBootstrapArgs, workerRole } from "../bootstrap/cluster-roles";
import { BootstrapKey } from "../bootstrap/key";
import { RoleBootstrap } from "../bootstrap/role-bootstrap";
import type { ClusterSpec, NodePoolSpec } from "../config/spec";
import { EtcdCluster, type EtcdSubnetRef } from "../etcd/cluster";
import { ClusterPki } from "../pki/pki";
import type { ClusterBootstrap, ClusterEnvironment, RoleBoot } from "./seams";

export interface KubeadmBootstrapArgs {
  spec: ClusterSpec;
  environment: ClusterEnvironment;
  apiName: string;
  /** Node pools (a RoleBootstrap each). */
  pools: NodePoolSpec[];
  /** The etcd security groups (dedicated members). */
  etcdSecurityGroupIds: pulumi.Input<string>[];
  /** The node image (dedicated members boot it too). */
  imageId: pulumi.Input<string>;
  /** Where dedicated members write snapshots. */
  backup: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> };
}

export interface KubeadmBootstrap extends ClusterBootstrap {
  pki: ClusterPki;
  key: BootstrapKey;
  etcd?: EtcdCluster;
}

/** Private subnets with their CIDRs (from the environment, or read from AWS for an existing VPC). */
function etcdSubnets(spec: ClusterSpec, env: ClusterEnvironment, parent: pulumi.Resource): EtcdSubnetRef[] {
  return env.privateSubnetIds.map((id, i) => ({
    id,
    availabilityZone: spec.availabilityZones[i]!,
    cidrBlock: env.privateSubnetCidrs?.[i] ?? aws.ec2.getSubnetOutput({ id }, { parent }).cidrBlock,
  }));
}

/** Builds the PKI, KMS key, dedicated etcd and per-role boots under `parent`. */
export function kubeadmBootstrap(name: string, args: KubeadmBootstrapArgs, parent: pulumi.Resource): KubeadmBootstrap {
  const { spec } = args;
  const child = { parent };
  const dedicated = spec.etcd.topology === "dedicated";
  if (spec.etcd.topology === "colocated" && spec.etcd.runtime === "on-host") {
    throw new Error(`Cluster ${name}: colocated on-host etcd is not composed by Cluster yet; use containerized (stacked) or dedicated etcd`);
  }
  const pki = new ClusterPki(`${name}-pki`, {
    clusterName: spec.name, apiName: args.apiName, externalEtcdClient: dedicated, protect: spec.deletionProtection,
  }, child);
  const key = new BootstrapKey(`${name}-bootstrap-key`, { clusterName: spec.name, protect: spec.deletionProtection, tags: spec.tags }, child);

  let etcd: EtcdCluster | undefined;
  let etcdEndpoints: pulumi.Input<string>[] | undefined;
  if (dedicated) {
    etcd = new EtcdCluster(`${name}-etcd`, {
      spec,
      privateSubnets: etcdSubnets(spec, args.environment, parent),
      securityGroupIds: args.etcdSecurityGroupIds,
      ca: { certPem: pki.etcdCaCertPem, privateKeyPem: pki.etcdCaKeyPem },
      backup: args.backup,
      privateZoneId: args.environment.zoneId,
      imageId: args.imageId,
    }, child);
    const endpoints = etcd.endpoints;
    etcdEndpoints = Array.from({ length: spec.etcd.members }, (_, i) => endpoints.apply((e) => e[i]!));
  }

  const cpBoots = new Map<number, RoleBoot>();
  const workerBoots = new Map<string, RoleBoot & { instanceProfileName: pulumi.Input<string> }>();
  for (let index = 0; index < spec.controlPlane.count; index++) {
    // Control-plane roles hold the CCM policy (attached by ControlPlane) and their own secret: no managed policies.
    const rb = new RoleBootstrap(`${name}-boot-cp-${index}`, { ...controlPlaneBootstrapArgs({ spec, pki, kmsKeyArn: key.keyArn, index, etcdEndpoints }), managedPolicyArns: [] }, child);
    cpBoots.set(index, { userData: rb.userData, roleName: rb.nodeRole!.roleName, instanceProfileName: rb.instanceProfileName!, secretArns: [rb.secretArn] });
  }
  for (const pool of args.pools) {
    const rb = new RoleBootstrap(`${name}-boot-${workerRole(pool)}`, workerBootstrapArgs({ spec, pki, kmsKeyArn: key.keyArn, pool }), child);
    workerBoots.set(pool.name, { userData: rb.userData, instanceProfileName: rb.instanceProfileName!, secretArns: [rb.secretArn] });
  }
  return {
    pki,
    key,
    etcd,
    kmsKeyArn: key.keyArn,
    adminKubeconfig: pki.adminKubeconfig,
    controlPlaneAfter: etcd ? [etcd] : [],
    controlPlane: (node) => cpBoots.get(node.index)!,
    worker: (pool) => {
      const w = workerBoots.get(pool.name);
      if (!w) throw new Error(`no worker bootstrap for pool ${pool.name}`);
      return w;
    },
  };
}
