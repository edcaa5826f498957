/**
 * Which etcd layout a spec asks for, and what kubeadm's ClusterConfiguration (v1beta4) says about
 * it: `etcd.local` for stacked etcd, `etcd.external` for every other layout. Pure.
 */
import { PATHS } from "./paths";
import type { EtcdSpec } from "../spec/spec";

export type EtcdLayout =
  /** colocated + containerized: kubeadm's stacked etcd, a static pod kubeadm writes on each control-plane node. */
  | "stacked"
  /** colocated + on-host: a systemd etcd on each control-plane node, external to kubeadm. */
  | "colocated-on-host"
  /** dedicated machines, etcd as a systemd service. */
  | "dedicated-on-host"
  /** dedicated machines, etcd as a static pod run by a standalone kubelet. */
  | "dedicated-containerized";

export function etcdLayout(etcd: Pick<EtcdSpec, "topology" | "runtime">): EtcdLayout {
  if (etcd.topology === "colocated") return etcd.runtime === "containerized" ? "stacked" : "colocated-on-host";
  return etcd.runtime === "on-host" ? "dedicated-on-host" : "dedicated-containerized";
}

/** kubeadm's stacked etcd on a control-plane node: its data dir, CA and health-check client (kubeadm's names). */
export const KUBEADM_ETCD = {
  dataDir: "/var/lib/etcd",
  caFile: `${PATHS.pki}/etcd/ca.crt`,
  healthcheckCert: `${PATHS.pki}/etcd/healthcheck-client.crt`,
  healthcheckKey: `${PATHS.pki}/etcd/healthcheck-client.key`,
} as const;

/** Where kube-apiserver finds its etcd client certificate on a control-plane node (kubeadm's names). */
export const APISERVER_ETCD_CLIENT_FILES = {
  caFile: KUBEADM_ETCD.caFile,
  certFile: `${PATHS.pki}/apiserver-etcd-client.crt`,
  keyFile: `${PATHS.pki}/apiserver-etcd-client.key`,
} as const;

export interface KubeadmExternalEtcd {
  external: { endpoints: string[]; caFile: string; certFile: string; keyFile: string };
}

export interface KubeadmLocalEtcd {
  local: { dataDir: string; imageTag: string };
}

export type KubeadmEtcd = KubeadmExternalEtcd | KubeadmLocalEtcd;

/** `etcd.external`: the members' client URLs and the API server's client certificate files. */
export function kubeadmExternalEtcd(endpoints: string[]): KubeadmExternalEtcd {
  if (endpoints.length === 0) throw new Error("etcd: an external etcd block needs at least one endpoint");
  return { external: { endpoints: [...endpoints], ...APISERVER_ETCD_CLIENT_FILES } };
}

/** The tag of registry.k8s.io/etcd for an etcd version (the image kubeadm runs and the node image pre-pulls). */
export function etcdImageTag(etcdVersion: string): string {
  return `${etcdVersion}-0`;
}

/** `etcd.local` for stacked etcd, pinned to the manifest's etcd version. */
export function kubeadmLocalEtcd(etcdVersion: string): KubeadmLocalEtcd {
  return { local: { dataDir: KUBEADM_ETCD.dataDir, imageTag: etcdImageTag(etcdVersion) } };
}

/** The `etcd` block for a layout: local for stacked, external (with `endpoints`) for the others. */
export function kubeadmEtcdBlock(layout: EtcdLayout, etcdVersion: string, endpoints: string[]): KubeadmEtcd {
  return layout === "stacked" ? kubeadmLocalEtcd(etcdVersion) : kubeadmExternalEtcd(endpoints);
}
