/**
 * What a dedicated etcd member `etcd-<n>` boots with, pure. It boots like every other role: the common boot
 * (`renderActionRoleFiles`: bootstrap env, fetch, unpacker, boot script, bootstrap unit) fetches the member's
 * bundle and runs `etcd-member-boot` instead of kubeadm, then enables the backup timer. The bundle carries the
 * member's keys (sensitive) and its plain files (config, member env, scripts, units); the user data only what
 * fetches the bundle (its bootstrap env names the member env file), the containerized member's kubelet drop-in, and the sha256 of every plain file of the bundle, so a change of any of them changes the
 * user data and replaces the member (`userDataReplaceOnChange`), and its boot checks it got those very files.
 */
import type { RoleExtension } from "../bootstrap/extensions";
import { createHash } from "crypto";
import {
  BACKUP_FILES,
  BACKUP_SCRIPTS,
  BACKUP_TIMER_UNIT,
  backupEnv,
  renderBackupService,
  renderBackupTimer,
  restoreEnv,
} from "../backup/scripts";
import type { RoleFile } from "../bootstrap/files";
import { nodeScriptFile } from "../bootstrap/node-scripts";
import { renderActionRoleFiles } from "../bootstrap/roles";
import { DEFAULT_ETCD_PATHS, renderEtcdConfig, type EtcdConfigInput } from "./config";
import { DEFAULT_ETCD_PORTS, initialCluster, type EtcdPorts } from "./members";
import { ETCD_NODE_FILES, ETCD_SCRIPTS, memberEnv, memberPkiPaths, memberUnit, renderMemberEnv, volumeEnv } from "./node-files";
import type { EtcdRuntime } from "../spec/spec";
import { renderEtcdPod, renderStandaloneKubeletConfig, renderStandaloneKubeletDropIn, STANDALONE_KUBELET } from "./pod";
import { renderEtcdUnit } from "./systemd";

/** A containerized member's static Pod manifest. */
export const STATIC_POD_FILE = `${STANDALONE_KUBELET.staticPodPath}/etcd.yaml`;

export interface MemberFilesInput {
  /** Cluster name. Required. */
  cluster: string;
  /** AWS region (the bundle's secret, the backup bucket). Required. */
  region: string;
  /** What runs etcd. Required. */
  runtime: EtcdRuntime;
  /** etcd version (the static Pod's image tag). Required. */
  etcdVersion: string;
  /** Config of this member (member, members, token, paths, ports, tuning). Required. */
  config: EtcdConfigInput;
  /** EBS volume id of the member's data volume (`vol-...`). Required. */
  volumeId: string;
  /** Snapshot bucket and interval. Required. */
  backup: { bucket: string; intervalMinutes: number };
  /** The etcd binary on on-host members. @default /usr/local/bin/etcd */
  etcdBinary?: string;
  /** The user's own files and units on every member (bootstrap/extensions.ts). @default undefined (none) */
  extension?: RoleExtension;
}

/** The member's TLS files (delivered in its bundle only). */
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

/** The member's own files (no common boot file): config, member env, scripts, units, keys. */
export function memberOwnFiles(input: MemberFilesInput, pki: MemberPki): RoleFile[] {
  const paths = input.config.paths ?? DEFAULT_ETCD_PATHS;
  const ports: EtcdPorts = input.config.ports ?? DEFAULT_ETCD_PORTS;
  const m = input.config.member;
  const at = memberPkiPaths(paths);
  const pkiFile = (f: { path: string; permissions: string }, content: string): RoleFile => ({ ...f, content, sensitive: true });
  const containerized = input.runtime === "containerized";
  const env = renderMemberEnv(
    m.name,
    memberEnv({ memberName: m.name, runtime: input.runtime, paths, ports }),
    volumeEnv(input.volumeId),
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
  const files: RoleFile[] = [
    plain(paths.configFile, renderEtcdConfig(input.config)),
    plain(ETCD_NODE_FILES.env, env),
    nodeScriptFile(ETCD_SCRIPTS.memberBoot, { viaBundle: true }),
    nodeScriptFile(ETCD_SCRIPTS.nodeStart, { viaBundle: true }),
    nodeScriptFile(BACKUP_SCRIPTS.backup, { viaBundle: true }),
    nodeScriptFile(BACKUP_SCRIPTS.restore, { viaBundle: true }),
    plain(BACKUP_FILES.service, renderBackupService(memberUnit(input.runtime), ETCD_NODE_FILES.env)),
    plain(BACKUP_FILES.timer, renderBackupTimer(input.backup.intervalMinutes)),
    pkiFile(at.ca, pki.caCertPem),
    pkiFile(at.serverCert, pki.serverCertPem),
    pkiFile(at.serverKey, pki.serverKeyPem),
    pkiFile(at.peerCert, pki.peerCertPem),
    pkiFile(at.peerKey, pki.peerKeyPem),
  ];
  if (!containerized) {
    files.push(
      plain(ETCD_NODE_FILES.etcdUnit, renderEtcdUnit({ memberName: m.name, cluster: input.cluster, paths, etcdBinary: input.etcdBinary })),
    );
  } else {
    files.push(
      plain(STATIC_POD_FILE, renderEtcdPod({ memberName: m.name, etcdVersion: input.etcdVersion, paths, ports }), "0600"),
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

/** `sha256sum --check` lines of every plain file the bundle carries (sensitive ones, the keys, are left out). */
export function bootFilesDigest(files: RoleFile[]): string {
  return files
    .filter((f) => !f.sensitive && f.viaBundle === true)
    .map((f) => `${createHash("sha256").update(f.content, "utf8").digest("hex")}  ${f.path}\n`)
    .join("");
}

/** Every boot file of a dedicated member: the common boot with `etcd-member-boot` as its action, its own files, the digest. */
export function renderMemberFiles(input: MemberFilesInput, pki: MemberPki): RoleFile[] {
  const files = renderActionRoleFiles(
    {
      role: input.config.member.name,
      clusterName: input.cluster,
      region: input.region,
      action: ETCD_NODE_FILES.memberBoot,
      enableUnits: [BACKUP_TIMER_UNIT],
      ...(input.extension ? { extension: input.extension } : {}),
    },
    memberOwnFiles(input, pki),
  );
  return [...files, { path: ETCD_NODE_FILES.bootFiles, content: bootFilesDigest(files), permissions: "0644", sensitive: false }];
}
