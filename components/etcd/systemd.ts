/** systemd units for on-host etcd, pure. */
import { DEFAULT_ETCD_PATHS, type EtcdPaths } from "./config";
import { ETCD_USER } from "./node-files";

export interface EtcdUnitInput {
  /** Member name (for the description). */
  memberName: string;
  /** Cluster name (for the description). */
  cluster: string;
  /** The etcd binary baked into the node image. @default /usr/local/bin/etcd */
  etcdBinary?: string;
  /** @default DEFAULT_ETCD_PATHS */
  paths?: EtcdPaths;
  /** System user etcd runs as (owns the data dir and keys). @default "etcd" */
  user?: string;
}

/** `etcd.service`: Type=notify (active only once the member serves), restarts forever, runs unprivileged. */
export function renderEtcdUnit(input: EtcdUnitInput): string {
  const paths = input.paths ?? DEFAULT_ETCD_PATHS;
  const user = input.user ?? ETCD_USER;
  return [
    "[Unit]",
    `Description=etcd member ${input.memberName} of cluster ${input.cluster}`,
    "Documentation=https://etcd.io/docs/",
    "Wants=network-online.target",
    "After=network-online.target local-fs.target",
    `RequiresMountsFor=${paths.dataDir}`,
    "",
    "[Service]",
    "Type=notify",
    `User=${user}`,
    `Group=${user}`,
    `ExecStart=${input.etcdBinary ?? "/usr/local/bin/etcd"} --config-file=${paths.configFile}`,
    "Restart=always",
    "RestartSec=5s",
    "TimeoutStartSec=0",
    "LimitNOFILE=65536",
    "IOSchedulingClass=best-effort",
    "IOSchedulingPriority=0",
    "Nice=-10",
    "NoNewPrivileges=true",
    "ProtectSystem=full",
    "PrivateTmp=true",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
