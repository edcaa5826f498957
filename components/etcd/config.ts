/**
 * The etcd configuration file (`etcd --config-file`), pure.
 *
 * Keys are etcd's own config-file names, which are its flag names; the two TLS blocks nest the
 * client flags (`--cert-file`, ...) and the peer flags (`--peer-cert-file`, ...) without the
 * `peer-` prefix. etcd ignores keys it does not know, so the interface below is the only list of
 * keys the library writes, and tests/etcd checks each against `etcd --help` of the manifest's etcd.
 *
 * etcd 3.6: none of these keys is removed or deprecated there (no `enable-v2`, no `experimental-*`,
 * no `max-snapshots`), and the same file is read unchanged by etcd 3.5.24+, the other minor kubeadm
 * 1.35-1.37 accept. A real etcd 3.6.8 runs it with no deprecation warning (tests/etcd/real-etcd.test.ts).
 */
import { PATHS } from "../bootstrap/paths";
import { toYaml } from "../bootstrap/yaml";
import { DEFAULT_ETCD_PORTS, initialCluster, type EtcdMember, type EtcdPorts } from "./members";

/** One TLS block of the config file (`client-transport-security` or `peer-transport-security`). */
export interface EtcdTransportSecurity {
  "cert-file": string;
  "key-file": string;
  /** Require and verify a client certificate. */
  "client-cert-auth": boolean;
  "trusted-ca-file": string;
}

/** Every key the library writes to etcd.conf.yml. */
export interface EtcdConfigFile {
  name: string;
  "data-dir": string;
  "snapshot-count": number;
  "heartbeat-interval": number;
  "election-timeout": number;
  "quota-backend-bytes": number;
  "listen-peer-urls": string;
  "listen-client-urls": string;
  "listen-metrics-urls": string;
  "initial-advertise-peer-urls": string;
  "advertise-client-urls": string;
  "initial-cluster": string;
  "initial-cluster-state": "new" | "existing";
  "initial-cluster-token": string;
  "strict-reconfig-check": boolean;
  "pre-vote": boolean;
  "client-transport-security": EtcdTransportSecurity;
  "peer-transport-security": EtcdTransportSecurity;
  logger: "zap";
  "log-level": "debug" | "info" | "warn" | "error";
  "log-outputs": string[];
  metrics: "basic" | "extensive";
}

/** The nested TLS blocks and the flag prefix their keys take on the command line. */
export const TRANSPORT_BLOCKS: Readonly<Record<string, string>> = { "client-transport-security": "", "peer-transport-security": "peer-" };

/** The command-line flag (without `--`) each key of a config maps to. */
export function configFlagNames(config: object): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    const prefix = TRANSPORT_BLOCKS[k];
    if (prefix !== undefined && typeof v === "object" && v !== null) for (const nested of Object.keys(v)) out.push(`${prefix}${nested}`);
    else out.push(k);
  }
  return out;
}

/** Where a member keeps its files. */
export interface EtcdPaths {
  /** Data directory: the mount point of a dedicated member's data volume. @default /var/lib/etcd */
  dataDir: string;
  /** The config file. @default /etc/etcd/etcd.conf.yml */
  configFile: string;
  /** Certificates and keys: ca.crt, server.crt/key, peer.crt/key. @default /etc/etcd/pki */
  pkiDir: string;
}

export const DEFAULT_ETCD_PATHS: Readonly<EtcdPaths> = Object.freeze({
  dataDir: "/var/lib/etcd",
  configFile: `${PATHS.etcd}/etcd.conf.yml`,
  pkiDir: `${PATHS.etcd}/pki`,
});

/** The cluster token every member of a cluster's etcd starts with (`initial-cluster-token`). */
export function etcdClusterToken(clusterName: string): string {
  return `${clusterName}-etcd`;
}

/** File names inside `pkiDir`. */
export const PKI_FILES = {
  ca: "ca.crt",
  serverCert: "server.crt",
  serverKey: "server.key",
  peerCert: "peer.crt",
  peerKey: "peer.key",
} as const;

/** Raft and storage tuning. */
export interface EtcdTuning {
  /** ms between leader heartbeats. @default 100 */
  heartbeatIntervalMs: number;
  /** ms without a heartbeat before an election; 10x the heartbeat. @default 1000 */
  electionTimeoutMs: number;
  /** Backend quota, bytes (etcd's recommended maximum is 8 GiB). @default 8 GiB */
  quotaBackendBytes: number;
  /** Raft entries between snapshots. @default 10000 */
  snapshotCount: number;
}

export const DEFAULT_ETCD_TUNING: Readonly<EtcdTuning> = Object.freeze({
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  quotaBackendBytes: 8 * 1024 ** 3,
  snapshotCount: 10000,
});

export interface EtcdConfigInput {
  /** The member this file is for. */
  member: EtcdMember;
  /** Every member of the cluster (for `initial-cluster`). */
  members: EtcdMember[];
  /** `initial-cluster-token`: unique per cluster, so members of two clusters never mix. */
  clusterToken: string;
  /** @default DEFAULT_ETCD_PATHS */
  paths?: EtcdPaths;
  /** @default DEFAULT_ETCD_PORTS */
  ports?: EtcdPorts;
  /** @default DEFAULT_ETCD_TUNING */
  tuning?: EtcdTuning;
  /** `new` when the cluster is bootstrapped together (ignored once the data dir holds data). @default "new" */
  initialClusterState?: "new" | "existing";
}

/** The plain-HTTP listener of `/metrics` and `/health`: loopback only. */
export function metricsUrl(ports: EtcdPorts = DEFAULT_ETCD_PORTS): string {
  return `http://127.0.0.1:${ports.metrics}`;
}

/** The config of one member: TLS with client-certificate auth for clients and peers. */
export function etcdConfig(input: EtcdConfigInput): EtcdConfigFile {
  const paths = input.paths ?? DEFAULT_ETCD_PATHS;
  const ports = input.ports ?? DEFAULT_ETCD_PORTS;
  const tuning = input.tuning ?? DEFAULT_ETCD_TUNING;
  const m = input.member;
  const pki = (f: string) => `${paths.pkiDir}/${f}`;
  return {
    name: m.name,
    "data-dir": paths.dataDir,
    "snapshot-count": tuning.snapshotCount,
    "heartbeat-interval": tuning.heartbeatIntervalMs,
    "election-timeout": tuning.electionTimeoutMs,
    "quota-backend-bytes": tuning.quotaBackendBytes,
    "listen-peer-urls": `https://${m.ip}:${ports.peer}`,
    "listen-client-urls": `https://${m.ip}:${ports.client}`,
    "listen-metrics-urls": metricsUrl(ports),
    "initial-advertise-peer-urls": `https://${m.ip}:${ports.peer}`,
    "advertise-client-urls": `https://${m.ip}:${ports.client}`,
    "initial-cluster": initialCluster(input.members, ports),
    "initial-cluster-state": input.initialClusterState ?? "new",
    "initial-cluster-token": input.clusterToken,
    "strict-reconfig-check": true,
    "pre-vote": true,
    "client-transport-security": {
      "cert-file": pki(PKI_FILES.serverCert),
      "key-file": pki(PKI_FILES.serverKey),
      "client-cert-auth": true,
      "trusted-ca-file": pki(PKI_FILES.ca),
    },
    "peer-transport-security": {
      "cert-file": pki(PKI_FILES.peerCert),
      "key-file": pki(PKI_FILES.peerKey),
      "client-cert-auth": true,
      "trusted-ca-file": pki(PKI_FILES.ca),
    },
    logger: "zap",
    "log-level": "info",
    "log-outputs": ["stderr"],
    metrics: "basic",
  };
}

/** The YAML text of a member's config file. */
export function renderEtcdConfig(input: EtcdConfigInput): string {
  return `# etcd member ${input.member.name}: rendered by pulumi-kubeadm-aws, do not edit on the host.\n${toYaml(etcdConfig(input))}`;
}
