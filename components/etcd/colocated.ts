/**
 * Colocated etcd: members run on the control-plane nodes.
 *
 * - stacked (containerized): kubeadm writes and manages the static pod; the library only adds the
 *   backup timer and restore script (`stackedEtcdNodeFiles`) using kubeadm's certificate paths.
 * - on-host: `ColocatedEtcd` issues each node's member certificates and the API server's client
 *   certificate and renders, per control-plane node, the etcd config, systemd unit and backup
 *   files; kubeadm gets `etcd.external`. The control plane delivers the files: the plain ones in
 *   its boot files, the secret ones (`secretFiles`) through its secrets channel. Control-plane
 *   nodes need stable addresses for this (see `planMembers(..., blockFromEnd: 3)`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/spec";
import type { BootFile } from "../core/artifacts";
import { typeToken } from "../core/tokens";
import { renderBackupScript, renderBackupService, renderBackupTimer, renderRestoreScript } from "../backup/scripts";
import { issueApiserverEtcdClient, issueCert, memberSans, type EtcdCertificateAuthority, type IssuedCert } from "./certs";
import { DEFAULT_ETCD_PATHS, PKI_FILES, renderEtcdConfig } from "./config";
import { MEMBER_FILES } from "./boot";
import { etcdLayout, kubeadmExternalEtcd, type KubeadmExternalEtcd } from "./kubeadm";
import { clientEndpoints, DEFAULT_ETCD_PORTS, initialCluster, type EtcdMember } from "./members";
import { renderEtcdUnit } from "./systemd";

/** kubeadm's stacked etcd: where its certificates and static pod live on a control-plane node. */
export const KUBEADM_ETCD = {
  dataDir: "/var/lib/etcd",
  caFile: "/etc/kubernetes/pki/etcd/ca.crt",
  healthcheckCert: "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
  healthcheckKey: "/etc/kubernetes/pki/etcd/healthcheck-client.key",
  manifest: "/etc/kubernetes/manifests/etcd.yaml",
} as const;

export interface StackedNodeInput {
  cluster: string;
  region: string;
  /** This control-plane node as an etcd member (name = the node name kubeadm gives the member, ip). */
  member: EtcdMember;
  /** All control-plane members (for the restore's initial cluster). */
  members: EtcdMember[];
  bucket: string;
  intervalMinutes: number;
}

/** Backup script, units and restore script for a control-plane node running kubeadm's stacked etcd. */
export function stackedEtcdNodeFiles(input: StackedNodeInput): BootFile[] {
  const m = input.member;
  return [
    { path: MEMBER_FILES.backup, content: renderBackupScript({ cluster: input.cluster, memberName: m.name, endpoint: `https://${m.ip}:${DEFAULT_ETCD_PORTS.client}`, client: { caFile: KUBEADM_ETCD.caFile, certFile: KUBEADM_ETCD.healthcheckCert, keyFile: KUBEADM_ETCD.healthcheckKey }, bucket: input.bucket, region: input.region }) },
    { path: MEMBER_FILES.backupService, content: renderBackupService(MEMBER_FILES.backup, "kubelet.service") },
    { path: MEMBER_FILES.backupTimer, content: renderBackupTimer(input.intervalMinutes) },
    {
      path: MEMBER_FILES.restore,
      content: renderRestoreScript({
        cluster: input.cluster, memberName: m.name, peerUrl: `https://${m.ip}:${DEFAULT_ETCD_PORTS.peer}`, initialCluster: initialCluster(input.members),
        // kubeadm names the token nothing special; a restore makes a new one anyway.
        clusterToken: `${input.cluster}-etcd`, dataDir: KUBEADM_ETCD.dataDir, user: "root", region: input.region,
        stopCommand: `mv ${KUBEADM_ETCD.manifest} "$STATE_DIR/etcd.yaml.stopped" && sleep 30`,
        startCommand: `mv "$STATE_DIR/etcd.yaml.stopped" ${KUBEADM_ETCD.manifest}`,
      }),
    },
  ];
}

export interface ColocatedEtcdArgs {
  /** The resolved spec; `etcd` must be colocated + on-host. Required. */
  spec: ClusterSpec;
  /** The control-plane nodes as etcd members, with stable addresses, in node order. Required. */
  members: EtcdMember[];
  /** The etcd CA. Required. */
  ca: EtcdCertificateAuthority;
  /** Snapshot bucket name. Required. */
  backupBucketName: pulumi.Input<string>;
  /** The etcd binary in the image. @default /usr/local/bin/etcd */
  etcdBinary?: string;
}

export interface ColocatedMemberFiles {
  name: string;
  /** Plain files (absolute paths): config, unit, backup and restore. */
  files: pulumi.Output<BootFile[]>;
  /** Secret files (absolute paths): the member's certificates and keys. */
  secretFiles: pulumi.Output<BootFile[]>;
}

export class ColocatedEtcd extends pulumi.ComponentResource {
  readonly nodes: ColocatedMemberFiles[];
  readonly endpoints: string[];
  readonly kubeadmEtcd: KubeadmExternalEtcd;
  readonly apiserverEtcdClient: IssuedCert;

  constructor(name: string, args: ColocatedEtcdArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("etcd", "ColocatedEtcd"), name, {}, opts);
    const { spec, members } = args;
    if (etcdLayout(spec.etcd) !== "colocated-on-host") throw new Error(`ColocatedEtcd is for colocated on-host etcd; spec.etcd is ${spec.etcd.topology}/${spec.etcd.runtime}`);
    if (![1, 3, 5, 7].includes(members.length)) throw new Error(`ColocatedEtcd: members must be 1, 3, 5 or 7 (got ${members.length})`);
    const paths = DEFAULT_ETCD_PATHS;
    const pki = (f: string) => `${paths.pkiDir}/${f}`;
    this.nodes = members.map((m) => {
      const server = issueCert(`${name}-${m.name}-server`, args.ca, { commonName: m.name, ...memberSans(m), usages: ["server_auth", "client_auth"] }, this);
      const peer = issueCert(`${name}-${m.name}-peer`, args.ca, { commonName: m.name, ...memberSans(m), usages: ["server_auth", "client_auth"] }, this);
      const files = pulumi.output(args.backupBucketName).apply((bucket): BootFile[] => [
        { path: paths.configFile, content: renderEtcdConfig({ member: m, members, clusterToken: `${spec.name}-etcd`, paths }) },
        { path: MEMBER_FILES.etcdUnit, content: renderEtcdUnit({ memberName: m.name, cluster: spec.name, paths, etcdBinary: args.etcdBinary }) },
        { path: MEMBER_FILES.backup, content: renderBackupScript({ cluster: spec.name, memberName: m.name, endpoint: `https://${m.ip}:${DEFAULT_ETCD_PORTS.client}`, client: { caFile: pki(PKI_FILES.ca), certFile: pki(PKI_FILES.serverCert), keyFile: pki(PKI_FILES.serverKey) }, bucket, region: spec.region }) },
        { path: MEMBER_FILES.backupService, content: renderBackupService(MEMBER_FILES.backup, "etcd.service") },
        { path: MEMBER_FILES.backupTimer, content: renderBackupTimer(spec.backup.intervalMinutes) },
        { path: MEMBER_FILES.restore, content: renderRestoreScript({ cluster: spec.name, memberName: m.name, peerUrl: `https://${m.ip}:${DEFAULT_ETCD_PORTS.peer}`, initialCluster: initialCluster(members), clusterToken: `${spec.name}-etcd`, dataDir: paths.dataDir, region: spec.region }) },
      ]);
      const secretFiles = pulumi.secret(pulumi.all([args.ca.certPem, server.certPem, server.privateKeyPem, peer.certPem, peer.privateKeyPem]).apply(([ca, sc, sk, pc, pk]): BootFile[] => [
        { path: pki(PKI_FILES.ca), content: ca }, { path: pki(PKI_FILES.serverCert), content: sc }, { path: pki(PKI_FILES.serverKey), content: sk },
        { path: pki(PKI_FILES.peerCert), content: pc }, { path: pki(PKI_FILES.peerKey), content: pk },
      ]));
      return { name: m.name, files, secretFiles };
    });
    this.endpoints = clientEndpoints(members);
    this.kubeadmEtcd = kubeadmExternalEtcd(this.endpoints);
    this.apiserverEtcdClient = issueApiserverEtcdClient(`${name}-apiserver-etcd-client`, args.ca, this);
    this.registerOutputs({ endpoints: this.endpoints, kubeadmEtcd: this.kubeadmEtcd });
  }
}
