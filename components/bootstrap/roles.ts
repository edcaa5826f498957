/**
 * What each machine role boots with: `renderControlPlaneFiles` and `renderWorkerFiles`, pure.
 * Sensitive values are parameters: render with `placeholders(...)` for artifacts, with the real
 * values (inside an Output) for the bundle.
 */
import type { Taint } from "../spec/spec";
import { renderAuditPolicy, renderAuthenticationConfig, renderEncryptionConfig } from "./apiserver-files";
import { CERT_RENEWAL, certRenewUnits } from "./cert-renewal";
import type { RoleFile } from "./files";
import {
  apiEndpoint,
  DEFAULT_TOKEN_TTL,
  renderClusterConfiguration,
  renderInitConfiguration,
  renderJoinConfiguration,
  renderKubeletConfiguration,
  renderKubeProxyConfiguration,
  type ClusterConfigInput,
} from "./kubeadm";
import { INIT_LOCK_FILES, renderInitLockEnv, type InitLockEnv } from "./init-lock";
import { nodeScriptFile } from "./node-scripts";
import { FILES, PATHS, UNITS } from "./paths";
import { NODE_SCRIPTS } from "./node-scripts";
import { renderBootstrapEnv, renderBundlePaths, type ActionBootEnv, type BootstrapEnv } from "./scripts";
import { bootstrapServiceUnit, kubeletSysctl, kubernetesModules, kubernetesNetSysctl, tokenSyncUnits } from "./units";
import { extensionFiles, extensionUnits, type RoleExtension } from "./extensions";
import { toYamlDocuments } from "./yaml";

/** A worker's kubeadm attempts: with 900 s of API wait each plus the margin, a failed worker is marked Unhealthy within about 2 h. */
export const WORKER_MAX_ATTEMPTS = 4;

/** Name of the Secrets Manager secret holding a role's bundle (deterministic, so user data need not wait for the secret). */
export function bootstrapSecretName(clusterName: string, role: string): string {
  return `${clusterName}/bootstrap/${role}`;
}

export interface CommonRoleInput {
  /** Machine role (artifact folder), e.g. `control-plane-0`, `worker-general`. Required. */
  role: string;
  /** AWS region. Required. */
  region: string;
  /** The join token's lifetime in the cluster. @default "24h0m0s" */
  tokenTtl?: string;
  /** Renew the token when fewer hours are left. @default 12 */
  tokenRefreshHours?: number;
  /**
   * kubeadm attempts before the boot fails. A worker that cannot join is better replaced soon (its group
   * launches a fresh one); a control-plane node waits out a longer outage. @default 30 (control plane), 4 (workers: about 2 h in all)
   */
  maxAttempts?: number;
  /** Seconds a joiner waits for the API per attempt. @default 900 */
  apiWaitSeconds?: number;
  /** The user's own files and systemd units for this role (extensions.ts). @default undefined (none) */
  extension?: RoleExtension;
}

export interface ControlPlaneFilesInput extends CommonRoleInput {
  /** Cluster-wide kubeadm settings. Required. */
  cluster: ClusterConfigInput;
  /** Position among control-plane nodes: 0 boots first, so it claims the init marker first; node `i` waits `i * joinSpreadSeconds`. Required. */
  index: number;
  /** The cluster's init marker (docs/bootstrap.md, "Init marker"): every control-plane node boots through it. Required. */
  initMarker: InitLockEnv;
  /** Joiner `i` waits `i * joinSpreadSeconds` before its first attempt (stacked etcd adds one member at a time). @default 30 */
  joinSpreadSeconds?: number;
  /** More files for this node (e.g. its colocated etcd member's config, unit, keys, backup scripts); paths must be unique. @default [] */
  extraFiles?: RoleFile[];
  /** Script run after each bundle fetch, before kubeadm (e.g. `etcd-node-start`). @default undefined (none) */
  beforeKubeadm?: string;
  /** Units enabled once kubeadm succeeded (e.g. `etcd-backup.timer`). @default [] */
  enableUnits?: string[];
}

/** Public material a control-plane node needs (not secret, but delivered with the bundle). */
export interface ControlPlaneMaterial {
  caCertPem: string;
  frontProxyCaCertPem: string;
  etcdCaCertPem: string;
  serviceAccountPublicKeyPem: string;
  discoveryHash: string;
  /** External etcd only: the API server's etcd client certificate. */
  etcdClientCertPem?: string;
}

export interface ControlPlaneSecrets {
  bootstrapToken: string;
  caKeyPem: string;
  frontProxyCaKeyPem: string;
  /** Stacked etcd only (kubeadm signs the members' certificates). */
  etcdCaKeyPem?: string;
  serviceAccountKeyPem: string;
  /** Base64 of the 32-byte Secrets encryption key. */
  encryptionKey: string;
  /** External etcd only. */
  etcdClientKeyPem?: string;
}

export interface WorkerFilesInput extends CommonRoleInput {
  /** Cluster name. Required. */
  clusterName: string;
  /** The stable API name. Required. */
  apiName: string;
  /** Pool labels (no `node-role.kubernetes.io/`). @default {} */
  labels?: Record<string, string>;
  /** Pool taints. @default [] */
  taints?: Taint[];
}

export interface WorkerMaterial {
  discoveryHash: string;
}

export interface WorkerSecrets {
  bootstrapToken: string;
}

/** `<secret:name>` for each key: what artifacts show in place of secret values. */
export function placeholders<K extends string>(keys: readonly K[]): Record<K, string> {
  return Object.fromEntries(keys.map((k) => [k, `<secret:${k}>`])) as Record<K, string>;
}

const plain = (path: string, content: string, permissions = "0644"): RoleFile => ({ path, content, permissions, sensitive: false });
const sensitive = (path: string, content: string, permissions = "0600"): RoleFile => ({ path, content, permissions, sensitive: true });

/**
 * What every role boots with. Only what fetches the bundle travels in the user data (the env file, the
 * shell helpers, the fetch script, the unpacker and the bootstrap unit); the boot script, kernel settings
 * and the rest come with the bundle, so the user data stays small.
 */
function commonFiles(env: BootstrapEnv | ActionBootEnv): RoleFile[] {
  const viaBundle = (f: RoleFile): RoleFile => ({ ...f, viaBundle: true });
  return [
    plain(FILES.env, renderBootstrapEnv(env)),
    nodeScriptFile(NODE_SCRIPTS.lib),
    nodeScriptFile(NODE_SCRIPTS.fetch),
    nodeScriptFile(NODE_SCRIPTS.unpack),
    plain(FILES.bundlePaths, renderBundlePaths(env.extraBundlePaths ?? [])),
    plain(`${PATHS.units}/${UNITS.bootstrap}`, bootstrapServiceUnit(env.role)),
    nodeScriptFile(NODE_SCRIPTS.boot, { viaBundle: true }),
    viaBundle(plain(FILES.kubeletSysctl, kubeletSysctl())),
    viaBundle(plain(FILES.k8sSysctl, kubernetesNetSysctl())),
    viaBundle(plain(FILES.k8sModules, kubernetesModules())),
  ];
}

/** Refuses a file rendered twice (a user's extension over a library file, or two hooks). */
function checkUnique(role: string, files: RoleFile[]): RoleFile[] {
  const paths = files.map((f) => f.path);
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup !== undefined) throw new Error(`${role}: file ${dup} is rendered twice`);
  return files;
}

/** The env's units and bundle paths with the role's extension added. */
function withExtension<E extends BootstrapEnv | ActionBootEnv>(env: E, ext: RoleExtension | undefined): E {
  if (!ext) return env;
  const units = extensionUnits(ext);
  const files = extensionFiles(env.role, ext);
  return {
    ...env,
    enableUnits: [...(env.enableUnits ?? []), ...units],
    extraBundlePaths: [...(env.extraBundlePaths ?? []), ...files.map((f) => f.path)],
  };
}

export interface ActionRoleInput {
  /** Machine role (artifact folder, secret name part), e.g. `etcd-0`. Required. */
  role: string;
  /** Cluster name (the bundle's secret name). Required. */
  clusterName: string;
  /** AWS region. Required. */
  region: string;
  /** Absolute path of the script the common boot runs instead of kubeadm (e.g. etcd-member-boot). Required. */
  action: string;
  /** Units enabled and started once the action succeeded. @default [] */
  enableUnits?: string[];
  /** Attempts of the action before the boot fails. @default 30 */
  maxAttempts?: number;
  /** The user's own files and systemd units for this role. @default undefined (none) */
  extension?: RoleExtension;
}

/**
 * Every boot file of a role whose work is not kubeadm (a dedicated etcd member): the common boot (env,
 * fetch, unpack, boot script, unit, kernel settings) plus `extraFiles`, which carry the action.
 */
export function renderActionRoleFiles(input: ActionRoleInput, extraFiles: RoleFile[]): RoleFile[] {
  if (!input.action.startsWith("/")) throw new Error(`${input.role}: the boot action must be an absolute path (got ${input.action})`);
  const env = withExtension<ActionBootEnv>(
    {
      role: input.role,
      secretId: bootstrapSecretName(input.clusterName, input.role),
      region: input.region,
      maxAttempts: input.maxAttempts ?? 30,
      action: input.action,
      enableUnits: input.enableUnits ?? [],
    },
    input.extension,
  );
  return checkUnique(input.role, [...commonFiles(env), ...extraFiles, ...extensionFiles(input.role, input.extension)]);
}

function envFor(
  input: CommonRoleInput,
  clusterName: string,
  apiName: string,
  controlPlane: boolean,
  joinDelaySeconds: number,
  hooks: Pick<BootstrapEnv, "beforeKubeadm" | "enableUnits"> = {},
): BootstrapEnv {
  return {
    ...hooks,
    role: input.role,
    controlPlane,
    secretId: bootstrapSecretName(clusterName, input.role),
    region: input.region,
    apiEndpoint: apiEndpoint(apiName),
    joinDelaySeconds,
    apiWaitSeconds: input.apiWaitSeconds ?? 900,
    maxAttempts: input.maxAttempts ?? (controlPlane ? 30 : WORKER_MAX_ATTEMPTS),
    tokenTtl: input.tokenTtl ?? DEFAULT_TOKEN_TTL,
    tokenRefreshHours: input.tokenRefreshHours ?? 12,
  };
}

/** Every boot file of control-plane node `index` (the init marker decides which node runs `kubeadm init`). */
export function renderControlPlaneFiles(input: ControlPlaneFilesInput, m: ControlPlaneMaterial, s: ControlPlaneSecrets): RoleFile[] {
  if (!Number.isInteger(input.index) || input.index < 0) throw new Error(`control-plane index must be >= 0 (got ${input.index})`);
  const c = input.cluster;
  const external = "external" in c.etcd;
  if (external && (m.etcdClientCertPem === undefined || s.etcdClientKeyPem === undefined))
    throw new Error("external etcd needs the API server's etcd client certificate and key");
  if (!external && s.etcdCaKeyPem === undefined) throw new Error("stacked etcd needs the etcd CA key");
  // Every control-plane node renews kubeadm's certificates (cert-renewal.ts), once kubeadm succeeded.
  // Every control-plane node keeps the join token valid and renews kubeadm's certificates, once kubeadm succeeded.
  const hooks = {
    ...(input.beforeKubeadm !== undefined ? { beforeKubeadm: input.beforeKubeadm } : {}),
    enableUnits: [UNITS.tokenSyncTimer, UNITS.certRenewTimer, ...(input.enableUnits ?? [])],
  };
  const env = withExtension(
    envFor(input, c.clusterName, c.apiName, true, input.index * (input.joinSpreadSeconds ?? 30), hooks),
    input.extension,
  );
  const join = renderJoinConfiguration({
    apiServerEndpoint: apiEndpoint(c.apiName),
    token: s.bootstrapToken,
    caCertHash: m.discoveryHash,
    controlPlane: true,
  });
  const pki = PATHS.pki;
  const tokenSync = tokenSyncUnits();
  const certRenew = certRenewUnits();
  const files: RoleFile[] = [
    ...commonFiles(env),
    // The control-plane scripts, timers and API server files travel in the bundle, like the boot script.
    nodeScriptFile(NODE_SCRIPTS.initLock, { viaBundle: true }),
    { ...plain(INIT_LOCK_FILES.env, renderInitLockEnv(input.initMarker)), viaBundle: true },
    nodeScriptFile(NODE_SCRIPTS.tokenSync, { viaBundle: true }),
    { ...plain(`${PATHS.units}/${UNITS.tokenSyncService}`, tokenSync.service), viaBundle: true },
    { ...plain(`${PATHS.units}/${UNITS.tokenSyncTimer}`, tokenSync.timer), viaBundle: true },
    { ...plain(FILES.auditPolicy, renderAuditPolicy(), "0600"), viaBundle: true },
    { ...plain(FILES.authenticationConfig, renderAuthenticationConfig(), "0600"), viaBundle: true },
    nodeScriptFile(NODE_SCRIPTS.certRenew, { viaBundle: true }),
    nodeScriptFile(NODE_SCRIPTS.certExpiry, { viaBundle: true }),
    { ...plain(CERT_RENEWAL.service, certRenew.service), viaBundle: true },
    { ...plain(CERT_RENEWAL.timer, certRenew.timer), viaBundle: true },
  ];
  // Every control-plane node carries the init config: whichever wins the init marker runs it (docs/bootstrap.md).
  files.push(
    sensitive(
      FILES.initConfig,
      toYamlDocuments([
        renderInitConfiguration({ token: s.bootstrapToken, tokenTtl: env.tokenTtl }),
        renderClusterConfiguration(c),
        renderKubeletConfiguration({
          serviceCidr: c.serviceCidr,
          dnsDomain: c.dnsDomain,
          servingCertificates: c.kubeletServingCertificates,
        }),
        renderKubeProxyConfiguration({ podCidr: c.podCidr }),
      ]),
    ),
  );
  files.push(
    // Also on the first node: a replacement of it joins the living cluster instead of creating one.
    sensitive(FILES.joinConfig, toYamlDocuments([join])),
    sensitive(FILES.token, `${s.bootstrapToken}\n`),
    sensitive(FILES.encryptionConfig, renderEncryptionConfig(s.encryptionKey)),
    sensitive(`${pki}/ca.crt`, m.caCertPem, "0644"),
    sensitive(`${pki}/ca.key`, s.caKeyPem),
    sensitive(`${pki}/front-proxy-ca.crt`, m.frontProxyCaCertPem, "0644"),
    sensitive(`${pki}/front-proxy-ca.key`, s.frontProxyCaKeyPem),
    sensitive(`${pki}/sa.pub`, m.serviceAccountPublicKeyPem, "0644"),
    sensitive(`${pki}/sa.key`, s.serviceAccountKeyPem),
    sensitive(`${pki}/etcd/ca.crt`, m.etcdCaCertPem, "0644"),
  );
  if (external) {
    files.push(
      sensitive(`${pki}/apiserver-etcd-client.crt`, m.etcdClientCertPem!, "0644"),
      sensitive(`${pki}/apiserver-etcd-client.key`, s.etcdClientKeyPem!),
    );
  } else {
    files.push(sensitive(`${pki}/etcd/ca.key`, s.etcdCaKeyPem!));
  }
  files.push(...(input.extraFiles ?? []), ...extensionFiles(input.role, input.extension));
  return checkUnique(input.role, files);
}

/** Every boot file of a worker of one pool: join material only (token + CA pin), no CA key. */
export function renderWorkerFiles(input: WorkerFilesInput, m: WorkerMaterial, s: WorkerSecrets): RoleFile[] {
  const env = withExtension(envFor(input, input.clusterName, input.apiName, false, 0), input.extension);
  const join = renderJoinConfiguration({
    apiServerEndpoint: apiEndpoint(input.apiName),
    token: s.bootstrapToken,
    caCertHash: m.discoveryHash,
    labels: input.labels ?? {},
    taints: (input.taints ?? []).map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })),
  });
  return checkUnique(input.role, [
    ...commonFiles(env),
    sensitive(FILES.joinConfig, toYamlDocuments([join])),
    ...extensionFiles(input.role, input.extension),
  ]);
}
