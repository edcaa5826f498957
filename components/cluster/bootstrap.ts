/**
 * The default bootstrap side of a Cluster: the cluster's trust (ClusterPki, a BootstrapKey) and a
 * RoleBootstrap per control-plane node and per pool (Secrets Manager bundle + instance role + user
 * data; artifacts published per role). The machines of etcd are not built here: the Cluster composes
 * them (cluster/etcd.ts) and hands their endpoints and per-node hooks in.
 *
 * etcd by layout (`etcdLayout`), as the control-plane boots see it:
 * - stacked: kubeadm runs it; every control-plane node gets the snapshot script and timer.
 * - colocated-on-host: each control-plane node's bundle carries its member's config, unit, keys and
 *   backup; the boot starts etcd before kubeadm.
 * - dedicated: external endpoints only; the control plane comes after the members.
 *
 * Init marker (docs/bootstrap.md, "Init marker"): a DynamoDB table per cluster whose one item says
 * which control-plane node initialises the cluster, once in its life. Every control-plane node gets
 * the marker's script and settings and an `init.yaml` through its bundle, so any of them may claim;
 * only control-plane roles may read or write the item.
 *
 * IAM: every role's IAM role and instance profile come from its RoleBootstrap, with the policies the
 * role needs (its bundle, the cloud controller manager's on control-plane nodes, the marker, snapshot
 * uploads, a worker's own health); nothing else creates node IAM.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { controlPlaneBootstrapArgs, usesExternalEtcd, workerBootstrapArgs, type KubeadmClusterSpec, type RoleBootSpec } from "./role-args";
import { initLockTableName } from "../bootstrap/init-lock";
import { controlPlaneRole, workerRole } from "../core/roles";
import { clusterTags } from "../core/tags";
import { initLockPolicy, instanceHealthPolicy } from "../iam/policy";
import { poolGroupName } from "../node-pools/node-pool";
import { BootstrapKey } from "../bootstrap/key";
import { RoleBootstrap } from "../bootstrap/role-bootstrap";
import { inputFiles, type ExtraFile } from "../bootstrap/input-files";
import type { ClusterSpec, NodePoolSpec } from "../spec/spec";
import { cloudControllerManagerPolicy } from "../control-plane/policy";
import type { EtcdCluster } from "../etcd/cluster";
import type { ColocatedEtcd } from "../etcd/colocated";
import { poolExtension, type ClusterExtensions } from "../bootstrap/extensions";
import { stackedEtcdNodeFiles } from "../etcd/colocated-files";
import { UNITS } from "../bootstrap/paths";
import { etcdLayout } from "../bootstrap/kubeadm-etcd";
import { etcdSnapshotUploadPolicy } from "../etcd/policy";
import type { PolicyDocument } from "../iam/policy";
import { ClusterPki } from "../pki/pki";
import type { ClusterEtcd } from "./etcd";
import type { ClusterBootstrap, RoleBoot } from "./seams";

/** What the cluster's trust takes from a spec. */
export type ClusterTrustSpec = Pick<ClusterSpec, "name" | "etcd" | "deletionProtection" | "tokenRotation" | "tags">;

/** What the default bootstrap takes from a spec: kubeadm's and the roles' fields, the control-plane count, the snapshot interval, protection. */
export type KubeadmBootstrapSpec = KubeadmClusterSpec &
  RoleBootSpec &
  Pick<ClusterSpec, "deletionProtection"> & {
    controlPlane: Pick<ClusterSpec["controlPlane"], "count">;
    backup: Pick<ClusterSpec["backup"], "intervalMinutes">;
  };

/** The cluster's trust: ClusterPki (CAs, keys, the join token) and the KMS key of the bootstrap secrets. */
export interface ClusterTrust {
  pki: ClusterPki;
  key: BootstrapKey;
}

/** Builds the cluster's trust under `parent` (`${name}-pki`, `${name}-bootstrap-key`). */
export function clusterTrust(name: string, spec: ClusterTrustSpec, apiName: string, parent: pulumi.Resource): ClusterTrust {
  const pki = new ClusterPki(
    `${name}-pki`,
    {
      clusterName: spec.name,
      apiName,
      externalEtcdClient: usesExternalEtcd(spec),
      protect: spec.deletionProtection,
      tokenRotation: spec.tokenRotation,
    },
    { parent },
  );
  const key = new BootstrapKey(
    `${name}-bootstrap-key`,
    { clusterName: spec.name, protect: spec.deletionProtection, tags: spec.tags },
    { parent },
  );
  return { pki, key };
}

export interface KubeadmBootstrapArgs {
  /** The resolved spec's fields it reads (etcd layout, versions, control-plane count, backup interval, ...). Required. */
  spec: KubeadmBootstrapSpec;
  /** The stable API name. Required. */
  apiName: string;
  /** Node pools (a RoleBootstrap each). Required. */
  pools: Pick<NodePoolSpec, "name" | "labels" | "taints">[];
  /** The cluster's trust (`clusterTrust`). Required. */
  trust: ClusterTrust;
  /** The cluster's etcd (`clusterEtcd`): endpoints and the colocated members' files. @default {} (stacked) */
  etcd?: ClusterEtcd;
  /** Where etcd snapshots go (every control-plane node with stacked or colocated etcd uploads). Required. */
  backup: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> };
  /** The user's own files and units per role. @default undefined (none) */
  extensions?: ClusterExtensions;
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

/** Builds the init marker and the per-role boots under `parent`. */
export function kubeadmBootstrap(name: string, args: KubeadmBootstrapArgs, parent: pulumi.Resource): KubeadmBootstrap {
  const {
    spec,
    trust: { pki, key },
  } = args;
  const child = { parent };
  const colocated = args.etcd?.colocated;
  const etcdEndpoints = args.etcd?.endpoints;
  // Every control-plane node that runs an etcd member uploads snapshots (only the leader does, each time).
  const snapshotPolicy: Record<string, pulumi.Input<PolicyDocument>> = args.etcd?.dedicated
    ? {}
    : {
        "etcd-backup": pulumi.output(args.backup.bucketArn).apply((arn) => etcdSnapshotUploadPolicy(arn, spec.name)),
      };
  // The AWS cloud controller manager runs on the control-plane nodes with their instance role.
  const ccmPolicy = cloudControllerManagerPolicy(spec.name, spec.region);

  const initLock = initLockTable(name, spec, parent);
  const lockPolicy = initLock.arn.apply(initLockPolicy);
  // Node 0 (and every node after it) boots once its bundle, its policies and the table exist.
  const bootReady: pulumi.Resource[] = [initLock];

  const cpBoots = new Map<number, RoleBoot>();
  const workerBoots = new Map<string, RoleBoot>();
  for (let index = 0; index < spec.controlPlane.count; index++) {
    const node = colocated?.nodes[index];
    const hooks = colocatedHooks(spec, index, args.backup.bucketName, colocated);
    // Control-plane roles hold the CCM policy, their own secret and the snapshot upload: no managed policies.
    const rb = new RoleBootstrap(
      `${name}-boot-cp-${index}`,
      {
        ...controlPlaneBootstrapArgs({
          spec,
          pki,
          kmsKeyArn: key.keyArn,
          index,
          etcdEndpoints,
          apiName: args.apiName,
          ...hooks,
          extraPolicies: { ...snapshotPolicy, "init-lock": lockPolicy, "cloud-controller-manager": ccmPolicy },
          ...(hooks.extraFiles ? { extraFiles: hooks.extraFiles } : {}),
          extension: args.extensions?.controlPlane,
        }),
        managedPolicyArns: [],
      },
      child,
    );
    bootReady.push(rb.secretVersion, ...Object.values(rb.nodeRole.rolePolicies));
    cpBoots.set(index, {
      userData: rb.userData,
      roleName: rb.nodeRole.roleName,
      instanceProfileName: rb.instanceProfileName,
      ...(node ? { privateIp: node.privateIp } : {}),
    });
  }
  for (const pool of args.pools) {
    // A worker whose boot failed for good marks itself Unhealthy in its pool's group (docs/bootstrap.md).
    const health = instanceHealthPolicy({
      region: spec.region,
      clusterName: spec.name,
      poolName: pool.name,
      groupName: poolGroupName(spec.name, pool.name),
    });
    const rb = new RoleBootstrap(
      `${name}-boot-${workerRole(pool)}`,
      workerBootstrapArgs({
        spec,
        pki,
        kmsKeyArn: key.keyArn,
        pool,
        apiName: args.apiName,
        extraPolicies: { "boot-health": health },
        extension: poolExtension(args.extensions, pool.name),
      }),
      child,
    );
    workerBoots.set(pool.name, { userData: rb.userData, roleName: rb.nodeRole.roleName, instanceProfileName: rb.instanceProfileName });
  }
  return {
    pki,
    key,
    initLock,
    etcd: args.etcd?.dedicated,
    colocatedEtcd: colocated,
    kmsKeyArn: key.keyArn,
    adminKubeconfig: pki.adminKubeconfig,
    // Node 0 comes after the members (dedicated) or after the address reservations and certificates (colocated on-host).
    controlPlaneAfter: [...(args.etcd?.dedicated ? [args.etcd.dedicated] : colocated ? [colocated] : []), ...bootReady],
    controlPlane: (node) => cpBoots.get(node.index)!,
    worker: (pool) => {
      const w = workerBoots.get(pool.name);
      if (!w) throw new Error(`no worker bootstrap for pool ${pool.name}`);
      return w;
    },
  };
}

/** The etcd files and boot hooks of control-plane node `index` for colocated layouts (none for dedicated etcd). */
function colocatedHooks(
  spec: KubeadmBootstrapSpec,
  index: number,
  bucketName: pulumi.Input<string>,
  colocated?: ColocatedEtcd,
): { extraFiles?: ExtraFile[]; extraSecretFiles?: ExtraFile[]; beforeKubeadm?: string; enableUnits?: string[] } {
  const layout = etcdLayout(spec.etcd);
  if (layout === "colocated-on-host" && colocated) {
    const node = colocated.nodes[index]!;
    return {
      extraFiles: node.files,
      extraSecretFiles: node.secretFiles,
      beforeKubeadm: colocated.beforeKubeadm,
      enableUnits: colocated.enableUnits,
    };
  }
  if (layout === "stacked") {
    const render = (bucket: string) =>
      stackedEtcdNodeFiles({
        cluster: spec.name,
        region: spec.region,
        memberName: controlPlaneRole(index),
        bucket,
        intervalMinutes: spec.backup.intervalMinutes,
      });
    return {
      extraFiles: inputFiles(pulumi.output(bucketName), "bucket", render),
      enableUnits: [UNITS.etcdBackupTimer],
    };
  }
  return {};
}

/** The cluster's init marker table: on-demand, protected (and undeletable) with deletion protection. */
function initLockTable(name: string, spec: KubeadmBootstrapSpec, parent: pulumi.Resource): aws.dynamodb.Table {
  const tableName = initLockTableName(spec.name);
  return new aws.dynamodb.Table(
    `${name}-init-lock`,
    {
      name: tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "id",
      attributes: [{ name: "id", type: "S" }],
      deletionProtectionEnabled: spec.deletionProtection,
      serverSideEncryption: { enabled: true },
      tags: clusterTags(spec.name, spec.tags, tableName),
    },
    { parent, protect: spec.deletionProtection },
  );
}
