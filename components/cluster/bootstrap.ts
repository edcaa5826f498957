/**
 * The default bootstrap side of a Cluster: ClusterPki (trust), a BootstrapKey (KMS), the etcd of
 * the spec's layout, and a RoleBootstrap per control-plane node and per pool (Secrets Manager
 * bundle + instance role + user-data stub; artifacts published per role).
 *
 * etcd by layout (`etcdLayout`):
 * - stacked: kubeadm runs it; every control-plane node gets the snapshot script and timer.
 * - colocated-on-host: `ColocatedEtcd` gives each control-plane node a fixed address, its member
 *   certificates, config, unit and backup, delivered through that node's bundle; the boot starts
 *   etcd before kubeadm.
 * - dedicated: `EtcdCluster`; the control plane is created (and replaced) after the members.
 * The API server's etcd client certificate comes from ClusterPki alone (external layouts).
 *
 * Init marker (docs/bootstrap.md, "Init marker"): a DynamoDB table per cluster whose one item says
 * which control-plane node initialises the cluster, once in its life. Every control-plane node gets
 * the marker's script and settings and an `init.yaml` through its bundle, so any of them may claim;
 * only control-plane roles may read or write the item (renderControlPlaneFiles gives every
 * control-plane node the same `init.yaml`). Nothing changes in the
 * JoinConfiguration: a node that does not win the claim joins exactly as before.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { controlPlaneBootstrapArgs, usesExternalEtcd, workerBootstrapArgs, workerRole, type ExtraFile } from "../bootstrap/cluster-roles";
import { INIT_LOCK_FILES, initLockScript, initLockTableName, renderInitLockEnv } from "../bootstrap/init-lock";
import { clusterTags } from "../core/tags";
import { initLockPolicy, instanceHealthPolicy } from "../iam/policy";
import { poolGroupName } from "../node-pools/node-pool";
import { BootstrapKey } from "../bootstrap/key";
import { RoleBootstrap } from "../bootstrap/role-bootstrap";
import type { ClusterSpec, NodePoolSpec } from "../config/spec";
import { EtcdCluster, type EtcdSubnetRef } from "../etcd/cluster";
import { ColocatedEtcd } from "../etcd/colocated";
import { BACKUP_TIMER_UNIT, stackedEtcdNodeFiles } from "../etcd/colocated-files";
import { etcdLayout } from "../etcd/kubeadm";
import { etcdSnapshotUploadPolicy } from "../etcd/policy";
import type { PolicyDocument } from "../iam/policy";
import { ClusterPki } from "../pki/pki";
import type { ClusterBootstrap, ClusterEnvironment, RoleBoot } from "./seams";

export interface KubeadmBootstrapArgs {
  /** The resolved spec (etcd layout, control-plane count, backup interval, ...). Required. */
  spec: ClusterSpec;
  /** The environment (private subnets and their CIDRs for fixed etcd addresses, private zone). Required. */
  environment: ClusterEnvironment;
  /** The stable API name. Required. */
  apiName: string;
  /** Node pools (a RoleBootstrap each). Required. */
  pools: NodePoolSpec[];
  /** The etcd security groups (dedicated members). Required. */
  etcdSecurityGroupIds: pulumi.Input<string>[];
  /** The node image (dedicated members boot it too). Required. */
  imageId: pulumi.Input<string>;
  /** Where etcd snapshots go (dedicated members, or every control-plane node with colocated etcd). Required. */
  backup: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> };
}

export interface KubeadmBootstrap extends ClusterBootstrap {
  pki: ClusterPki;
  key: BootstrapKey;
  /** The init marker's table (one item: who initialises the cluster, and when it was). */
  initLock: aws.dynamodb.Table;
  /** Dedicated members. */
  etcd?: EtcdCluster;
  /** Colocated on-host members (the control-plane nodes). */
  colocatedEtcd?: ColocatedEtcd;
}

/** Private subnets with their CIDRs (from the environment, or read from AWS for an existing VPC). */
function etcdSubnets(spec: ClusterSpec, env: ClusterEnvironment, parent: pulumi.Resource): EtcdSubnetRef[] {
  return env.privateSubnetIds.map((id, i) => ({
    id,
    availabilityZone: spec.availabilityZones[i]!,
    cidrBlock: env.privateSubnetCidrs?.[i] ?? aws.ec2.getSubnetOutput({ id }, { parent }).cidrBlock,
  }));
}

/** Builds the PKI, KMS key, etcd and per-role boots under `parent`. */
export function kubeadmBootstrap(name: string, args: KubeadmBootstrapArgs, parent: pulumi.Resource): KubeadmBootstrap {
  const { spec } = args;
  const child = { parent };
  const layout = etcdLayout(spec.etcd);
  const pki = new ClusterPki(`${name}-pki`, {
    clusterName: spec.name, apiName: args.apiName, externalEtcdClient: usesExternalEtcd(spec), protect: spec.deletionProtection,
    tokenRotation: spec.tokenRotation,
  }, child);
  const key = new BootstrapKey(`${name}-bootstrap-key`, { clusterName: spec.name, protect: spec.deletionProtection, tags: spec.tags }, child);
  const ca = { certPem: pki.etcdCaCertPem, privateKeyPem: pki.etcdCaKeyPem };

  let etcd: EtcdCluster | undefined;
  let colocated: ColocatedEtcd | undefined;
  let endpoints: pulumi.Output<string[]> | undefined;
  if (layout === "dedicated-on-host" || layout === "dedicated-containerized") {
    etcd = new EtcdCluster(`${name}-etcd`, {
      spec, privateSubnets: etcdSubnets(spec, args.environment, parent), securityGroupIds: args.etcdSecurityGroupIds, ca,
      backup: args.backup, privateZoneId: args.environment.zoneId, imageId: args.imageId,
    }, child);
    endpoints = etcd.endpoints;
  } else if (layout === "colocated-on-host") {
    colocated = new ColocatedEtcd(`${name}-etcd`, {
      spec, privateSubnets: etcdSubnets(spec, args.environment, parent), ca, backupBucketName: args.backup.bucketName, privateZoneId: args.environment.zoneId,
    }, child);
    endpoints = colocated.endpoints;
  }
  const etcdEndpoints = endpoints ? Array.from({ length: spec.etcd.members }, (_, i) => endpoints!.apply((e) => e[i]!)) : undefined;
  // Every control-plane node that runs an etcd member uploads snapshots (only the leader does, each time).
  const snapshotPolicy: Record<string, pulumi.Input<PolicyDocument>> = etcd ? {} : {
    "etcd-backup": pulumi.output(args.backup.bucketArn).apply((arn) => etcdSnapshotUploadPolicy(arn, spec.name)),
  };

  const initLock = initLockTable(name, spec, parent);
  const lockPolicy = initLock.arn.apply(initLockPolicy);
  const lockFiles: ExtraFile[] = [
    { path: INIT_LOCK_FILES.env, content: initLock.name.apply((table) => renderInitLockEnv({ table, controlPlaneCount: spec.controlPlane.count })) },
    { path: INIT_LOCK_FILES.script, content: initLockScript(), permissions: "0755" },
  ];
  // Node 0 (and every node after it) boots once its bundle, its marker policy and the table exist.
  const bootReady: pulumi.Resource[] = [initLock];

  const cpBoots = new Map<number, RoleBoot>();
  const workerBoots = new Map<string, RoleBoot & { instanceProfileName: pulumi.Input<string> }>();
  for (let index = 0; index < spec.controlPlane.count; index++) {
    const node = colocated?.nodes[index];
    const hooks = colocatedHooks(spec, index, args.backup.bucketName, colocated);
    // Control-plane roles hold the CCM policy (attached by ControlPlane), their own secret and the snapshot upload: no managed policies.
    const rb = new RoleBootstrap(`${name}-boot-cp-${index}`, {
      ...controlPlaneBootstrapArgs({
        spec, pki, kmsKeyArn: key.keyArn, index, etcdEndpoints, apiName: args.apiName, ...hooks,
        extraPolicies: { ...snapshotPolicy, "init-lock": lockPolicy },
        extraFiles: [...(hooks.extraFiles ?? []), ...lockFiles],
      }),
      managedPolicyArns: [],
    }, child);
    bootReady.push(rb.secretVersion, rb.nodeRole!.rolePolicies["init-lock"]!);
    cpBoots.set(index, {
      userData: rb.userData, roleName: rb.nodeRole!.roleName, instanceProfileName: rb.instanceProfileName!, secretArns: [rb.secretArn],
      ...(node ? { privateIp: node.privateIp } : {}),
    });
  }
  for (const pool of args.pools) {
    // A worker whose boot failed for good marks itself Unhealthy in its pool's group (docs/bootstrap.md).
    const health = instanceHealthPolicy({ region: spec.region, clusterName: spec.name, poolName: pool.name, groupName: poolGroupName(spec.name, pool.name) });
    const rb = new RoleBootstrap(`${name}-boot-${workerRole(pool)}`, workerBootstrapArgs({ spec, pki, kmsKeyArn: key.keyArn, pool, apiName: args.apiName, extraPolicies: { "boot-health": health } }), child);
    workerBoots.set(pool.name, { userData: rb.userData, instanceProfileName: rb.instanceProfileName!, secretArns: [rb.secretArn] });
  }
  return {
    pki,
    key,
    initLock,
    etcd,
    colocatedEtcd: colocated,
    kmsKeyArn: key.keyArn,
    adminKubeconfig: pki.adminKubeconfig,
    // Node 0 comes after the members (dedicated) or after the address reservations and certificates (colocated on-host).
    controlPlaneAfter: [...(etcd ? [etcd] : colocated ? [colocated] : []), ...bootReady],
    controlPlane: (node) => cpBoots.get(node.index)!,
    worker: (pool) => {
      const w = workerBoots.get(pool.name);
      if (!w) throw new Error(`no worker bootstrap for pool ${pool.name}`);
      return w;
    },
  };
}

/** The etcd files and boot hooks of control-plane node `index` for colocated layouts (none for dedicated etcd). */
function colocatedHooks(spec: ClusterSpec, index: number, bucketName: pulumi.Input<string>, colocated?: ColocatedEtcd):
  { extraFiles?: ExtraFile[]; extraSecretFiles?: ExtraFile[]; beforeKubeadm?: string; enableUnits?: string[] } {
  const layout = etcdLayout(spec.etcd);
  if (layout === "colocated-on-host" && colocated) {
    const node = colocated.nodes[index]!;
    return { extraFiles: node.files, extraSecretFiles: node.secretFiles, beforeKubeadm: colocated.beforeKubeadm, enableUnits: colocated.enableUnits };
  }
  if (layout === "stacked") {
    const render = (bucket: string) => stackedEtcdNodeFiles({ cluster: spec.name, region: spec.region, memberName: `control-plane-${index}`, bucket, intervalMinutes: spec.backup.intervalMinutes });
    const files = pulumi.output(bucketName).apply(render);
    return {
      extraFiles: render("bucket").map((f, i) => ({ path: f.path, permissions: f.permissions, content: files.apply((r) => r[i]!.content) })),
      enableUnits: [BACKUP_TIMER_UNIT],
    };
  }
  return {};
}

/** The cluster's init marker table: on-demand, protected (and undeletable) with deletion protection. */
function initLockTable(name: string, spec: ClusterSpec, parent: pulumi.Resource): aws.dynamodb.Table {
  const tableName = initLockTableName(spec.name);
  return new aws.dynamodb.Table(`${name}-init-lock`, {
    name: tableName,
    billingMode: "PAY_PER_REQUEST",
    hashKey: "id",
    attributes: [{ name: "id", type: "S" }],
    deletionProtectionEnabled: spec.deletionProtection,
    serverSideEncryption: { enabled: true },
    tags: clusterTags(spec.name, spec.tags, tableName),
  }, { parent, protect: spec.deletionProtection });
}
