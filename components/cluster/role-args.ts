/**
 * Entry points for the Cluster composer: RoleBootstrap arguments for each role of a ClusterSpec,
 * wired to a ClusterPki. Pure functions (no resources are created here).
 *
 *   const key = new BootstrapKey(`${name}-bootstrap-key`, { clusterName: spec.name });
 *   const apiName = apiNameOf(spec); // or the name of the API endpoint the cluster has
 *   const cp0 = new RoleBootstrap(`${name}-cp-0`, controlPlaneBootstrapArgs({ spec, pki, kmsKeyArn: key.keyArn, index: 0, apiName }));
 *   const wk = new RoleBootstrap(`${name}-pool-general`, workerBootstrapArgs({ spec, pki, kmsKeyArn: key.keyArn, pool, apiName }));
 *   // cp0.userData / cp0.instanceProfileName go to the instance; wk.* to the pool's launch template.
 */
import type * as pulumi from "@pulumi/pulumi";
import { apiName } from "../api-endpoint/settings";
import type { ClusterSpec, NodePoolSpec } from "../spec/spec";
import { etcdLayout } from "../bootstrap/kubeadm-etcd";
import type { PolicyDocument } from "../iam/policy";
import type { ClusterPki } from "../pki/pki";
import { controlPlaneRole, workerRole } from "../core/roles";
import type { RoleExtension } from "../bootstrap/extensions";
import type { RoleFile } from "../bootstrap/files";
import type { ExtraFile } from "../bootstrap/input-files";
import { initLockTableName } from "../bootstrap/init-lock";
import type { ClusterConfigInput } from "../bootstrap/kubeadm";
import type { RoleBootstrapArgs } from "../bootstrap/role-bootstrap";
import { renderControlPlaneFiles, renderWorkerFiles, type ControlPlaneMaterial, type ControlPlaneSecrets } from "../bootstrap/roles";

/** What kubeadm's ClusterConfiguration takes from a spec: name, versions, pod/service ranges, etcd layout, kubelet serving certificates. */
export type KubeadmClusterSpec = Pick<ClusterSpec, "name" | "versions" | "etcd" | "kubeletServingCertificates"> & {
  network: Pick<ClusterSpec["network"], "podCidr" | "serviceCidr">;
};

/** What a role's boot takes from a spec beyond kubeadm's: the region (its secret, IMDS) and the tags. */
export type RoleBootSpec = Pick<ClusterSpec, "name" | "region" | "tags">;

/** The default stable API name of a cluster (`apiName` in api-endpoint/settings.ts, its one source). */
export function apiNameOf(spec: Pick<ClusterSpec, "name" | "api">): string {
  return apiName(spec.name, spec.api.domain);
}

/** Whether kube-apiserver talks to etcd it does not manage (dedicated, or colocated on-host): `etcd.external`. */
export function usesExternalEtcd(spec: Pick<ClusterSpec, "etcd">): boolean {
  return etcdLayout(spec.etcd) !== "stacked";
}

/**
 * Cluster-wide kubeadm input from a spec; `etcdEndpoints` (external etcd) come from the etcd component;
 * `api` is the stable API name the cluster's endpoint has (what the kubeconfig dials and the certificate names).
 */
export function clusterConfigInput(spec: KubeadmClusterSpec, etcdEndpoints: string[] | undefined, api: string): ClusterConfigInput {
  const dedicated = usesExternalEtcd(spec);
  if (dedicated && (!etcdEndpoints || etcdEndpoints.length === 0))
    throw new Error(`${etcdLayout(spec.etcd)} etcd: pass the members' client endpoints (etcdEndpoints)`);
  return {
    clusterName: spec.name,
    kubernetesVersion: spec.versions.kubernetes,
    etcdVersion: spec.versions.etcd,
    corednsVersion: spec.versions.coredns,
    apiName: api,
    podCidr: spec.network.podCidr,
    serviceCidr: spec.network.serviceCidr,
    etcd: dedicated ? { external: { endpoints: etcdEndpoints! } } : { local: true },
    kubeletServingCertificates: spec.kubeletServingCertificates ?? "self-signed",
  };
}

/** Values/secrets key of an extra file (artifacts show secret ones as `<secret:file:/path>`). */
export const extraFileKey = (path: string) => `file:${path}`;

export interface ControlPlaneBootstrapOptions {
  /** The cluster's name, region, tags, control-plane count (its init marker) and what kubeadm's ClusterConfiguration reads. Required. */
  spec: KubeadmClusterSpec & RoleBootSpec & { controlPlane: Pick<ClusterSpec["controlPlane"], "count"> };
  /** The cluster's CAs, keys and join token. Required. */
  pki: ClusterPki;
  /** The KMS key encrypting the node's bundle secret. Required. */
  kmsKeyArn: pulumi.Input<string>;
  /** The node's index; 0 is the first in init order. Required. */
  index: number;
  /** The stable API name: the cluster's API endpoint's, the one ClusterPki's certificates and kubeconfig name. Required. */
  apiName: string;
  /** External etcd (dedicated or colocated on-host): client URLs of the members, e.g. `https://10.0.15.228:2379`. @default [] (required with external etcd) */
  etcdEndpoints?: pulumi.Input<string>[];
  /** Plain files added to the node, delivered through its bundle (user data is near EC2's limit); checked to be secret-free. @default [] */
  extraFiles?: ExtraFile[];
  /** Secret files added to the node's bundle (e.g. its etcd member keys); artifacts show placeholders. @default [] */
  extraSecretFiles?: ExtraFile[];
  /** Script run after each bundle fetch, before kubeadm (e.g. start the node's etcd member). @default undefined (none) */
  beforeKubeadm?: string;
  /** Units enabled once kubeadm succeeded (e.g. `etcd-backup.timer`). @default [] */
  enableUnits?: string[];
  /** More inline policies for the control-plane role (e.g. the cloud controller manager's). @default {} */
  extraPolicies?: Record<string, pulumi.Input<PolicyDocument>>;
  /** The user's own files and units for this node (bootstrap/extensions.ts). @default undefined (none) */
  extension?: RoleExtension;
}

/** RoleBootstrap args for control-plane node `index`. */
export function controlPlaneBootstrapArgs(o: ControlPlaneBootstrapOptions): RoleBootstrapArgs {
  const { spec, pki } = o;
  const dedicated = usesExternalEtcd(spec);
  if (dedicated && (!pki.etcdClientCertPem || !pki.etcdClientKeyPem))
    throw new Error(`${etcdLayout(spec.etcd)} etcd: create ClusterPki with externalEtcdClient: true`);
  const endpoints = o.etcdEndpoints ?? [];
  const values: Record<string, pulumi.Input<string>> = {
    caCertPem: pki.caCertPem,
    frontProxyCaCertPem: pki.frontProxyCaCertPem,
    etcdCaCertPem: pki.etcdCaCertPem,
    serviceAccountPublicKeyPem: pki.serviceAccountPublicKeyPem,
    discoveryHash: pki.discoveryHash,
    ...(dedicated ? { etcdClientCertPem: pki.etcdClientCertPem! } : {}),
  };
  endpoints.forEach((e, i) => (values[`etcdEndpoint${i}`] = e));
  const extraPlain = o.extraFiles ?? [];
  const extraSecret = o.extraSecretFiles ?? [];
  for (const f of extraPlain) values[extraFileKey(f.path)] = f.content;
  const secrets: Record<string, pulumi.Input<string>> = {
    bootstrapToken: pki.bootstrapToken,
    caKeyPem: pki.caKeyPem,
    frontProxyCaKeyPem: pki.frontProxyCaKeyPem,
    serviceAccountKeyPem: pki.serviceAccountKeyPem,
    encryptionKey: pki.encryptionKey,
    ...(dedicated ? { etcdClientKeyPem: pki.etcdClientKeyPem! } : { etcdCaKeyPem: pki.etcdCaKeyPem }),
  };
  for (const f of extraSecret) secrets[extraFileKey(f.path)] = f.content;
  const role = controlPlaneRole(o.index);
  return {
    clusterName: spec.name,
    role,
    region: spec.region,
    kmsKeyArn: o.kmsKeyArn,
    values,
    secrets,
    extraPolicies: o.extraPolicies,
    tags: spec.tags,
    render: (v, s) =>
      renderControlPlaneFiles(
        {
          role,
          region: spec.region,
          index: o.index,
          // The table the Cluster creates under this same name (cluster/bootstrap.ts).
          initMarker: { table: initLockTableName(spec.name), controlPlaneCount: spec.controlPlane.count },
          cluster: clusterConfigInput(spec, dedicated ? endpoints.map((_, i) => v[`etcdEndpoint${i}`]!) : undefined, o.apiName),
          extraFiles: [
            ...extraPlain.map((f): RoleFile => ({
              path: f.path,
              content: v[extraFileKey(f.path)]!,
              permissions: f.permissions ?? "0644",
              sensitive: false,
              viaBundle: true,
            })),
            ...extraSecret.map((f): RoleFile => ({
              path: f.path,
              content: s[extraFileKey(f.path)]!,
              permissions: f.permissions ?? "0600",
              sensitive: true,
            })),
          ],
          ...(o.beforeKubeadm !== undefined ? { beforeKubeadm: o.beforeKubeadm } : {}),
          ...(o.enableUnits ? { enableUnits: o.enableUnits } : {}),
          ...(o.extension ? { extension: o.extension } : {}),
        },
        v as unknown as ControlPlaneMaterial,
        s as unknown as ControlPlaneSecrets,
      ),
  };
}

export interface WorkerBootstrapOptions {
  /** The cluster's name, region and tags. Required. */
  spec: RoleBootSpec;
  /** The cluster's PKI (the join token and the CA pin only are used). Required. */
  pki: ClusterPki;
  /** The KMS key encrypting the pool's bundle secret. Required. */
  kmsKeyArn: pulumi.Input<string>;
  /** The pool (its name, labels and taints). Required. */
  pool: Pick<NodePoolSpec, "name" | "labels" | "taints">;
  /** More inline policies for the pool's role. @default {} */
  extraPolicies?: Record<string, pulumi.Input<PolicyDocument>>;
  /** The user's own files and units for the pool's workers (bootstrap/extensions.ts). @default undefined (none) */
  extension?: RoleExtension;
  /** The stable API name: the cluster's API endpoint's, the one ClusterPki's certificates and kubeconfig name. Required. */
  apiName: string;
}

/** RoleBootstrap args for the workers of one pool: join token and CA pin only. */
export function workerBootstrapArgs(o: WorkerBootstrapOptions): RoleBootstrapArgs {
  const role = workerRole(o.pool);
  return {
    clusterName: o.spec.name,
    role,
    region: o.spec.region,
    kmsKeyArn: o.kmsKeyArn,
    values: { discoveryHash: o.pki.discoveryHash },
    secrets: { bootstrapToken: o.pki.bootstrapToken },
    extraPolicies: o.extraPolicies,
    tags: o.spec.tags,
    render: (v, s) =>
      renderWorkerFiles(
        {
          role,
          region: o.spec.region,
          clusterName: o.spec.name,
          apiName: o.apiName,
          labels: o.pool.labels,
          taints: o.pool.taints,
          ...(o.extension ? { extension: o.extension } : {}),
        },
        { discoveryHash: v.discoveryHash! },
        { bootstrapToken: s.bootstrapToken! },
      ),
  };
}
