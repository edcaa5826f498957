/**
 * The files of one etcd member, pure, wherever it runs: a dedicated machine `etcd-<n>` or a control-plane node
 * with colocated on-host etcd. One function renders them for both: the member's config, the member env file,
 * the unit that runs etcd (on-host: etcd.service; containerized: the standalone kubelet's static Pod), the
 * start hook, the backup script with its service and timer, and the restore script. A dedicated member adds
 * its boot action and its data volume's id; its keys come from `memberKeyFiles`. The scripts are the
 * node/sbin files as they are; the member env file carries every value they read.
 */
import { BACKUP_FILES, BACKUP_SCRIPTS, backupEnv, renderBackupUnits, restoreEnv } from "../backup/scripts";
import type { RoleFile } from "../bootstrap/files";
import { nodeScriptFile } from "../bootstrap/node-scripts";
import type { EtcdRuntime } from "../spec/spec";
import { DEFAULT_ETCD_PATHS, renderEtcdConfig, type EtcdConfigInput, type EtcdPaths } from "./config";
import { DEFAULT_ETCD_PORTS, initialCluster, type EtcdPorts } from "./members";
import { ETCD_NODE_FILES, ETCD_SCRIPTS, memberEnv, memberPkiPaths, memberUnit, renderMemberEnv, volumeEnv } from "./node-files";
import { renderEtcdPod, renderStandaloneKubeletConfig, renderStandaloneKubeletDropIn, STANDALONE_KUBELET } from "./pod";
import { renderEtcdUnit } from "./systemd";

/** A containerized member's static Pod manifest. */
export const STATIC_POD_FILE = `${STANDALONE_KUBELET.staticPodPath}/etcd.yaml`;

export interface MemberFilesInput {
  /** Cluster name. Required. */
  cluster: string;
  /** AWS region of the snapshot bucket. Required. */
  region: string;
  /** What runs etcd. Colocated members run on the host (kubeadm runs stacked etcd itself). Required. */
  runtime: EtcdRuntime;
  /** etcd version: the static Pod's image tag. Required with `containerized`. @default undefined */
  etcdVersion?: string;
  /** Config of this member (member, members, token, paths, ports, tuning). Required. */
  config: EtcdConfigInput;
  /** Snapshot bucket and interval. Required. */
  backup: { bucket: string; intervalMinutes: number };
  /** A dedicated member's data volume (`vol-...`): it then gets its boot action and mounts the volume. @default undefined (colocated on a control-plane node) */
  volumeId?: string;
  /** The etcd binary on on-host members. @default /usr/local/bin/etcd */
  etcdBinary?: string;
}

/** The member's TLS material (delivered in its bundle only). */
export interface MemberPki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  peerCertPem: string;
  peerKeyPem: string;
}

const plain = (path: string, content: string, permissions = "0644"): RoleFile => ({
  path,
  content,
  permissions,
  sensitive: false,
  viaBundle: true,
});

/** A member's plain files (no key): every one travels in its node's bundle, but a containerized member's kubelet drop-in. */
export function memberFiles(input: MemberFilesInput): RoleFile[] {
  const paths = input.config.paths ?? DEFAULT_ETCD_PATHS;
  const ports: EtcdPorts = input.config.ports ?? DEFAULT_ETCD_PORTS;
  const m = input.config.member;
  const at = memberPkiPaths(paths);
  const containerized = input.runtime === "containerized";
  const dedicated = input.volumeId !== undefined;
  if (containerized && !input.etcdVersion)
    throw new Error(`etcd member ${m.name}: a containerized member needs etcdVersion (its image tag)`);
  const env = renderMemberEnv(
    m.name,
    memberEnv({ memberName: m.name, runtime: input.runtime, paths, ports }),
    ...(dedicated ? [volumeEnv(input.volumeId!)] : []),
    backupEnv({
      cluster: input.cluster,
      endpoint: `https://${m.ip}:${ports.client}`,
      bucket: input.backup.bucket,
      region: input.region,
      client: { caFile: at.ca.path, certFile: at.serverCert.path, keyFile: at.serverKey.path },
    }),
    restoreEnv({
      peerUrl: `https://${m.ip}:${ports.peer}`,
      initialCluster: initialCluster(input.config.members, ports),
      clusterToken: input.config.clusterToken,
      ...(containerized ? { staticPod: STATIC_POD_FILE } : {}),
    }),
  );
  const backupUnits = renderBackupUnits(memberUnit(input.runtime), ETCD_NODE_FILES.env, input.backup.intervalMinutes);
  const files: RoleFile[] = [
    plain(paths.configFile, renderEtcdConfig(input.config)),
    plain(ETCD_NODE_FILES.env, env),
    ...(dedicated ? [nodeScriptFile(ETCD_SCRIPTS.memberBoot, { viaBundle: true })] : []),
    nodeScriptFile(ETCD_SCRIPTS.nodeStart, { viaBundle: true }),
    nodeScriptFile(BACKUP_SCRIPTS.backup, { viaBundle: true }),
    nodeScriptFile(BACKUP_SCRIPTS.restore, { viaBundle: true }),
    plain(BACKUP_FILES.service, backupUnits.service),
    plain(BACKUP_FILES.timer, backupUnits.timer),
  ];
  if (!containerized) {
    files.push(
      plain(ETCD_NODE_FILES.etcdUnit, renderEtcdUnit({ memberName: m.name, cluster: input.cluster, paths, etcdBinary: input.etcdBinary })),
    );
  } else {
    files.push(
      plain(STATIC_POD_FILE, renderEtcdPod({ memberName: m.name, etcdVersion: input.etcdVersion!, paths, ports }), "0600"),
      plain(STANDALONE_KUBELET.config, renderStandaloneKubeletConfig()),
      // Outside the bundle's paths, so in the user data (the kubelet is enabled only by etcd-node-start).
      {
        path: STANDALONE_KUBELET.dropIn,
        content: renderStandaloneKubeletDropIn(undefined, paths.dataDir),
        permissions: "0644",
        sensitive: false,
      },
    );
  }
  return files;
}

/** A member's TLS files (sensitive: the bundle only), at `memberPkiPaths` with their modes. */
export function memberKeyFiles(pki: MemberPki, paths: EtcdPaths = DEFAULT_ETCD_PATHS): RoleFile[] {
  const at = memberPkiPaths(paths);
  const file = (f: { path: string; permissions: string }, content: string): RoleFile => ({ ...f, content, sensitive: true });
  return [
    file(at.ca, pki.caCertPem),
    file(at.serverCert, pki.serverCertPem),
    file(at.serverKey, pki.serverKeyPem),
    file(at.peerCert, pki.peerCertPem),
    file(at.peerKey, pki.peerKeyPem),
  ];
}
