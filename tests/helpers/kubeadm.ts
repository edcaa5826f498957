/**
 * The real kubeadm (of the manifest's version, tests/helpers/k8s-bin.ts) as the judge of every kubeadm
 * document the library renders. Reusable by any test:
 *
 *   const docs = kubeadmDocuments(spec);                 // init.yaml of control-plane-0, every join.yaml
 *   const v = await validateConfig(file);                // `kubeadm config validate --config F`
 *   const init = await initDryRun(docs[0].yaml);         // `kubeadm init --dry-run`: real static Pod manifests
 *   const api = flagsOf(init.manifests["kube-apiserver"]!, "kube-apiserver");  // Map flag → value
 *   const join = await joinDryRun(workerJoin.yaml);      // `kubeadm join --dry-run`, fake discovery
 *
 * Every function runs kubeadm and FAILS (throws) when the binary is missing: nothing skips. Nothing is
 * written outside a new folder under os.tmpdir(); callers may delete `result.tmp` when done.
 */
import { execFile } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  FILES,
  initLockTableName,
  placeholders,
  renderControlPlaneFiles,
  renderWorkerFiles,
  type ControlPlaneSecrets,
} from "../../components/bootstrap";
import { clusterConfigInput, apiNameOf, usesExternalEtcd } from "../../components/cluster";
import { controlPlaneRole, workerRole } from "../../components/core/roles";
import type { ClusterSpec } from "../../components/spec";
import { FAKE_MATERIAL, SECRET_KEYS } from "../bootstrap/stack-roles";
import { k8sBin } from "./k8s-bin";

// ---------------------------------------------------------------------------------------------
// Running kubeadm

export interface KubeadmResult {
  /** Exit status (-1 when killed). */
  status: number;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  command: string;
}

/** stdout and stderr of a result, for failure messages. */
export function outputOf(r: KubeadmResult): string {
  return `$ ${r.command}\n(exit ${r.status})\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`;
}

/** Throws with kubeadm's whole output unless it exited 0 (so a failing test shows kubeadm's own error). */
export function assertSucceeded(r: KubeadmResult): void {
  if (r.status !== 0) throw new Error(`kubeadm failed:\n${outputOf(r)}`);
}

/** The kubeadm binary; throws (fails the test) when it is missing. */
export function kubeadmBinary(): string {
  const bin = k8sBin("kubeadm");
  if (!existsSync(bin)) throw new Error(`kubeadm is missing at ${bin}: run \`npx tsx tools/k8s/build.ts\` (tests never skip)`);
  return bin;
}

/** Runs kubeadm with `args` (async, so independent runs can go in parallel). A binary that cannot start rejects. */
export function runKubeadm(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<KubeadmResult> {
  const bin = kubeadmBinary();
  const command = `${Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join("")}kubeadm ${args.join(" ")}`;
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && typeof e.code === "string") return reject(new Error(`kubeadm could not run (${e.code}: ${e.message})`));
        resolve({ status: e ? (typeof e.code === "number" ? e.code : -1) : 0, stdout, stderr, command });
      },
    );
  });
}

/** A new private folder under os.tmpdir(). */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// The documents

/** A join token of valid syntax (`[a-z0-9]{6}.[a-z0-9]{16}`) put in place of `<secret:bootstrapToken>`. */
export const TEST_TOKEN = "k8saws.0123456789abcdef";
/** The placeholder artifacts show instead of the join token. */
export const TOKEN_PLACEHOLDER = "<secret:bootstrapToken>";
/**
 * kubeadm's dry-run discovery (cmd/kubeadm/app/util/apiclient/dryrun.go) serves a fixed cluster-info
 * signed for this token, with a CA whose SubjectPublicKeyInfo hashes to DRY_RUN_CA_HASH. `joinDryRun`
 * substitutes both; nothing else may use them.
 */
export const DRY_RUN_TOKEN = "abcdef.abcdef0123456789";
export const DRY_RUN_CA_HASH = "sha256:3b793efefe27a19f93b0fbe6e637e9c41d0dde8a377d6ab1c0f656bf1136dd8a";

export interface KubeadmDocument {
  /** Machine role, e.g. `control-plane-0`, `worker-gpu`. */
  role: string;
  /** `init` (InitConfiguration + ClusterConfiguration + component configs) or `join` (JoinConfiguration). */
  kind: "init" | "join";
  /** Joins (and inits) as a control-plane node. */
  controlPlane: boolean;
  /** Path on the node (FILES.initConfig or FILES.joinConfig). */
  path: string;
  /** The file as rendered for artifacts (secrets as placeholders). */
  rendered: string;
  /** The file with the token placeholder replaced by TEST_TOKEN: what kubeadm reads. */
  yaml: string;
}

/**
 * Client endpoints of external etcd as the etcd components would pass them, for every layout kubeadm
 * sees as `etcd.external` (dedicated, and colocated on-host); undefined for stacked etcd.
 */
export function externalEtcdEndpoints(spec: ClusterSpec): string[] | undefined {
  if (!usesExternalEtcd(spec)) return undefined;
  return Array.from({ length: spec.etcd.members }, (_, i) => `https://etcd-${i}.${spec.name}.${spec.api.domain}:2379`);
}

/**
 * Every kubeadm configuration file the roles of `spec` render: init.yaml of control-plane-0, join.yaml
 * of every control-plane node and of every worker pool. Rendered as tests/bootstrap/stack-roles.ts
 * renders roles (placeholder secrets, FAKE_MATERIAL, whose discovery hash is a syntactically valid,
 * FAKE sha256), with the token placeholder replaced by TEST_TOKEN so that kubeadm's syntax checks pass.
 * (Own loop instead of renderRoles: stack-roles' etcdEndpoints knows only `dedicated`, so it cannot
 * render colocated on-host etcd, which is also `etcd.external`.)
 */
export function kubeadmDocuments(spec: ClusterSpec, secrets: ControlPlaneSecrets = placeholders(SECRET_KEYS)): KubeadmDocument[] {
  const out: KubeadmDocument[] = [];
  const add = (role: string, controlPlane: boolean, files: { path: string; content: string }[]) => {
    for (const f of files) {
      const kind = f.path === FILES.initConfig ? "init" : f.path === FILES.joinConfig ? "join" : undefined;
      if (!kind) continue;
      const yaml = f.content.split(TOKEN_PLACEHOLDER).join(TEST_TOKEN);
      if (yaml.includes("<secret:"))
        throw new Error(`${role} ${f.path} still holds a placeholder kubeadm cannot read: ${/<secret:[^>]*>/.exec(yaml)![0]}`);
      out.push({ role, kind, controlPlane, path: f.path, rendered: f.content, yaml });
    }
  };
  const cluster = clusterConfigInput(spec, externalEtcdEndpoints(spec), apiNameOf(spec));
  for (let i = 0; i < spec.controlPlane.count; i++) {
    const role = controlPlaneRole(i);
    add(
      role,
      true,
      renderControlPlaneFiles(
        {
          role,
          region: spec.region,
          index: i,
          cluster,
          initMarker: { table: initLockTableName(spec.name), controlPlaneCount: spec.controlPlane.count },
        },
        FAKE_MATERIAL,
        secrets,
      ),
    );
  }
  for (const pool of spec.nodePools) {
    const role = workerRole(pool);
    add(
      role,
      false,
      renderWorkerFiles(
        { role, region: spec.region, clusterName: spec.name, apiName: apiNameOf(spec), labels: pool.labels, taints: pool.taints },
        { discoveryHash: FAKE_MATERIAL.discoveryHash },
        { bootstrapToken: secrets.bootstrapToken },
      ),
    );
  }
  return out;
}

/** The documents with distinct content (control-plane joiners render the same file), first occurrence kept. */
export function distinctDocuments<T extends { yaml: string }>(docs: T[]): T[] {
  const seen = new Set<string>();
  return docs.filter((d) => !seen.has(d.yaml) && (seen.add(d.yaml), true));
}

/** The parsed YAML documents of a multi-document file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function yamlDocuments(text: string): Record<string, any>[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`invalid YAML: ${d.errors[0]!.message}`);
    return d.toJS() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  });
}

// ---------------------------------------------------------------------------------------------
// kubeadm config validate

/** `kubeadm config validate --config <file>`: strict decoding (unknown/duplicate fields fail), defaulting, validation. */
export function validateConfig(file: string): Promise<KubeadmResult> {
  return runKubeadm(["config", "validate", "--config", file]);
}

/** validateConfig on `yaml` written to a temporary file (removed afterwards). */
export async function validateYaml(yaml: string): Promise<KubeadmResult> {
  const dir = tempDir("kubeadm-validate-");
  const file = path.join(dir, "config.yaml");
  writeFileSync(file, yaml, { mode: 0o600 });
  try {
    return await validateConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes a dry-run's private folder. */
export function removeDryRun(r: { tmp: string } | undefined): void {
  if (r) rmSync(r.tmp, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Preflight

/**
 * Preflight checks a machine without a kubelet or container runtime must ignore (measured here, as
 * root: IsPrivilegedUser passes). They judge the machine, never the document:
 * - CRI, ContainerRuntimeVersion: no containerd socket at nodeRegistration.criSocket;
 * - KubeletVersion, SystemVerification: no `kubelet` on PATH (SystemVerification asks it for its version);
 * - FileContent--proc-sys-net-ipv4-ip_forward: the test machine does not forward IPv4 (nodes get it from our sysctl file).
 */
export const NO_KUBELET_PREFLIGHT = [
  "CRI",
  "ContainerRuntimeVersion",
  "KubeletVersion",
  "SystemVerification",
  "FileContent--proc-sys-net-ipv4-ip_forward",
] as const;
/**
 * Port checks bind the control-plane ports on every address; other tests of the same run (a real control
 * plane, real etcd on 127.0.0.1) may hold them, which says nothing about the document. Ignored so the
 * dry-runs do not depend on what else runs.
 */
export const PORT_PREFLIGHT = ["Port-6443", "Port-10259", "Port-10257", "Port-10250", "Port-2379", "Port-2380"] as const;
/** The dry-runs run kubeadm chrooted in an empty private root, where `losetup`, `mount` and `cp` are not on PATH. */
export const PRIVATE_ROOT_PREFLIGHT = ["FileExisting-losetup", "FileExisting-mount", "FileExisting-cp"] as const;

/** initDryRun with external etcd: see there. */
export const EXTERNAL_ETCD_PREFLIGHT = ["ExternalEtcdClientCertificates", "ExternalEtcdVersion"] as const;

export const INIT_PREFLIGHT_IGNORES: readonly string[] = [...NO_KUBELET_PREFLIGHT, ...PORT_PREFLIGHT, ...PRIVATE_ROOT_PREFLIGHT];
export const JOIN_PREFLIGHT_IGNORES: readonly string[] = [...NO_KUBELET_PREFLIGHT, ...PORT_PREFLIGHT, ...PRIVATE_ROOT_PREFLIGHT];

// ---------------------------------------------------------------------------------------------
// Static Pod manifests

/** The control-plane static Pods kubeadm writes. */
export const CONTROL_PLANE_PODS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"] as const;
export type ControlPlanePod = (typeof CONTROL_PLANE_PODS)[number];

export interface Container {
  name: string;
  image: string;
  command: string[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  [k: string]: unknown;
}
export interface PodManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec: { containers: Container[]; volumes?: { name: string; hostPath?: { path: string; type?: string } }[]; [k: string]: unknown };
}

/** A container of a manifest (throws when absent). */
export function containerOf(pod: PodManifest, name: string): Container {
  const c = pod.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`pod ${pod.metadata.name} has no container ${name} (has ${pod.spec.containers.map((x) => x.name).join(", ")})`);
  return c;
}

/** The container's `command` as kubeadm wrote it (binary name first, then `--flag=value` items). */
export function commandOf(pod: PodManifest, container: string): string[] {
  return [...containerOf(pod, container).command];
}

/**
 * The container's flags: `--name=value` → name → value, a bare `--name` → "true". kubeadm writes each
 * flag once (its defaults, overridden by extraArgs); a repeated flag throws, so nothing is hidden.
 */
export function flagsOf(pod: PodManifest, container: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of commandOf(pod, container).slice(1)) {
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new Error(`${container}: argument ${arg} is not a --flag`);
    if (out.has(m[1]!)) throw new Error(`${container}: flag --${m[1]} is given twice`);
    out.set(m[1]!, m[2] ?? "true");
  }
  return out;
}

/** A container's mount of `mountPath`, with its pod volume's host path. */
export function mountOf(
  pod: PodManifest,
  container: string,
  mountPath: string,
): { name: string; mountPath: string; readOnly: boolean; hostPath?: string; type?: string } | undefined {
  const m = (containerOf(pod, container).volumeMounts ?? []).find((x) => x.mountPath === mountPath);
  if (!m) return undefined;
  const v = (pod.spec.volumes ?? []).find((x) => x.name === m.name);
  return { name: m.name, mountPath: m.mountPath, readOnly: m.readOnly === true, hostPath: v?.hostPath?.path, type: v?.hostPath?.type };
}

/**
 * Rewrites the node paths in a command line to the dry-run folder, so the binaries can run with the
 * flags kubeadm chose: `/etc/kubernetes/pki/x` → `<dir>/x` (certificates), `/etc/kubernetes/x.conf` →
 * `<dir>/x.conf` (kubeconfigs), plus `extra` (e.g. `/etc/kubernetes/apiserver` → where the test wrote
 * the role's apiserver files). Longest prefix first.
 */
export function rebaseCommand(command: string[], dryRunDir: string, extra: Record<string, string> = {}): string[] {
  const map = Object.entries({ "/etc/kubernetes/pki": dryRunDir, "/etc/kubernetes": dryRunDir, ...extra }).sort(
    (a, b) => b[0].length - a[0].length,
  );
  return command.map((arg) => {
    const eq = arg.indexOf("=");
    if (!arg.startsWith("--") || eq < 0) return arg;
    const value = arg
      .slice(eq + 1)
      .split(",")
      .map((v) => {
        const hit = map.find(([from]) => v === from || v.startsWith(`${from}/`));
        return hit ? hit[1] + v.slice(hit[0].length) : v;
      })
      .join(",");
    return `${arg.slice(0, eq + 1)}${value}`;
  });
}

function readManifests(dir: string): Partial<Record<ControlPlanePod, PodManifest>> {
  const out: Partial<Record<ControlPlanePod, PodManifest>> = {};
  for (const name of CONTROL_PLANE_PODS) {
    const f = path.join(dir, `${name}.yaml`);
    if (existsSync(f)) out[name] = parse(readFileSync(f, "utf8")) as PodManifest;
  }
  return out;
}

/** `KUBELET_KUBEADM_ARGS="--a=b --c=d"` of kubeadm-flags.env → Map a → b. */
export function kubeletFlagsOf(envFile: string): Map<string, string> {
  const m = /^KUBELET_KUBEADM_ARGS="(.*)"\s*$/m.exec(envFile);
  if (!m) throw new Error(`not a kubeadm-flags.env: ${envFile}`);
  const out = new Map<string, string>();
  for (const arg of m[1]!.split(/\s+/).filter(Boolean)) {
    const a = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!a) throw new Error(`kubeadm-flags.env: ${arg} is not a --flag`);
    out.set(a[1]!, a[2] ?? "true");
  }
  return out;
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------
// kubeadm init --dry-run

export interface DryRunResult extends KubeadmResult {
  /** The private folder of this run (config file, dry-run folder). */
  tmp: string;
  /** The dry-run folder (KUBEADM_INIT_DRYRUN_DIR / KUBEADM_JOIN_DRYRUN_DIR as the host sees it). */
  dir: string;
  /** Files kubeadm wrote there, relative paths. */
  files: string[];
  /** The static Pod manifests it wrote (kube-apiserver, kube-controller-manager, kube-scheduler; etcd when stacked). */
  manifests: Partial<Record<ControlPlanePod, PodManifest>>;
  /** The kubelet flags it would write to /var/lib/kubelet/kubeadm-flags.env (from nodeRegistration); undefined if not written. */
  kubeletFlags?: Map<string, string>;
  /** `<dir>/kubeadm-flags.env` as written, if written. */
  kubeletFlagsEnv?: string;
}

export interface DryRunOptions {
  /** More preflight checks to ignore. @default [] */
  ignorePreflightErrors?: string[];
  /** Timeout. @default 120000 */
  timeoutMs?: number;
}

/**
 * `kubeadm init --dry-run --config F`, chrooted (`--rootfs`) in a new private root, with
 * KUBEADM_INIT_DRYRUN_DIR=/dryrun there (`result.dir` on the host). Nothing on the host is read or
 * written, and no path of the document is rewritten: certificatesDir and the external etcd files keep
 * their node paths.
 *
 * What the dry-run writes, all into the dry-run folder (kubeadm only *prints* what it would write
 * elsewhere, e.g. /var/lib/kubelet/config.yaml):
 * - certificates and keys, flat: `ca.crt|key`, `apiserver.crt|key`, `apiserver-kubelet-client.*`,
 *   `front-proxy-ca.*`, `front-proxy-client.*`, `sa.key|pub`; stacked etcd also `apiserver-etcd-client.*`
 *   and `etcd/{ca,server,peer,healthcheck-client}.*` (a CA already in certificatesDir is copied, not regenerated);
 * - kubeconfigs: `admin.conf`, `super-admin.conf`, `kubelet.conf`, `controller-manager.conf`, `scheduler.conf`;
 * - static Pods: `kube-apiserver.yaml`, `kube-controller-manager.yaml`, `kube-scheduler.yaml`, `etcd.yaml` (stacked only);
 * - kubelet: `config.yaml` (our KubeletConfiguration, defaulted), `instance-config.yaml`, `kubeadm-flags.env`.
 * The manifests point at the node's paths (certificatesDir, /etc/kubernetes/*.conf), as on a node: use
 * `rebaseCommand(command, result.dir)` to run a binary against the dry-run folder.
 *
 * External etcd: two preflight checks judge the machine, not the document, and are ignored for
 * external etcd only (EXTERNAL_ETCD_PREFLIGHT): ExternalEtcdClientCertificates (the CA and client pair
 * exist at caFile/certFile/keyFile: on a node the bundle puts them there) and ExternalEtcdVersion (dials
 * every member's /version, 3 tries 5 s apart: with no etcd running that is 15 s per endpoint; without
 * the CA file it stops at once).
 */
export async function initDryRun(initYaml: string, opts: DryRunOptions = {}): Promise<DryRunResult> {
  const root = privateRoot("kubeadm-init-");
  writeFileSync(path.join(root, "kubeadm", "init.yaml"), initYaml, { mode: 0o600 });
  const cluster = yamlDocuments(initYaml).find((d) => d.kind === "ClusterConfiguration");
  const external = cluster?.etcd?.external !== undefined;
  const ignores = [...INIT_PREFLIGHT_IGNORES, ...(external ? EXTERNAL_ETCD_PREFLIGHT : []), ...(opts.ignorePreflightErrors ?? [])];
  const r = await runKubeadm(
    ["--rootfs", root, "init", "--dry-run", "--config", "/kubeadm/init.yaml", `--ignore-preflight-errors=${ignores.join(",")}`],
    { KUBEADM_INIT_DRYRUN_DIR: "/dryrun" },
    opts.timeoutMs,
  );
  const dir = path.join(root, "dryrun");
  return { ...r, tmp: root, dir, ...collect(dir) };
}

function privateRoot(prefix: string): string {
  const root = tempDir(prefix);
  for (const d of ["kubeadm", "dryrun", "tmp"]) mkdirSync(path.join(root, d));
  return root;
}

function place(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  writeFileSync(to, readFileSync(from));
}

function collect(dir: string): Pick<DryRunResult, "files" | "manifests" | "kubeletFlags" | "kubeletFlagsEnv"> {
  const envPath = path.join(dir, "kubeadm-flags.env");
  const env = existsSync(envPath) ? readFileSync(envPath, "utf8") : undefined;
  return {
    files: listFiles(dir),
    manifests: readManifests(dir),
    ...(env !== undefined ? { kubeletFlagsEnv: env, kubeletFlags: kubeletFlagsOf(env) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// kubeadm join --dry-run

/** The certificatesDir of kubeadm's fake cluster (its dry-run kubeadm-config ConfigMap): where a control-plane joiner's CAs must be. */
export const DRY_RUN_CERTIFICATES_DIR = "/etc/kubernetes/pki";

export interface JoinDryRunResult extends DryRunResult {
  /** The private root kubeadm ran chrooted in (`--rootfs`); `dir` is `<root>/dryrun`. */
  root: string;
  /** The JoinConfiguration as given to kubeadm (discovery swapped for the dry-run token and CA hash). */
  config: string;
}

/** The JoinConfiguration with kubeadm's dry-run token and CA hash in its bootstrap-token discovery. */
export function withDryRunDiscovery(joinYaml: string): string {
  const docs = yamlDocuments(joinYaml);
  const join = docs.find((d) => d.kind === "JoinConfiguration");
  if (!join?.discovery?.bootstrapToken) throw new Error("not a JoinConfiguration with bootstrap-token discovery");
  join.discovery.bootstrapToken.token = DRY_RUN_TOKEN;
  join.discovery.bootstrapToken.caCertHashes = [DRY_RUN_CA_HASH];
  return docs.map((d) => `---\n${stringify(d)}`).join("");
}

/**
 * `kubeadm join --dry-run --config F`, chrooted (`--rootfs`) in a new private root so that nothing on
 * the host is read or written: the config is `/kubeadm/join.yaml` there, the dry-run folder
 * `/dryrun` (KUBEADM_JOIN_DRYRUN_DIR). Discovery is kubeadm's fake one: the token and CA hash are
 * replaced by DRY_RUN_TOKEN / DRY_RUN_CA_HASH (in this run only). The cluster kubeadm then "joins" is
 * its fake one: the ClusterConfiguration, KubeletConfiguration and kube-proxy config come from its
 * fixed ConfigMaps, not from our init.yaml; what is ours is the JoinConfiguration (nodeRegistration,
 * controlPlane, caCertPath, timeouts).
 *
 * A control-plane joiner needs the shared CAs on disk (we ship them in the bundle; no certificateKey):
 * kubeadm checks ca, sa, front-proxy-ca and etcd/ca in the fake cluster's certificatesDir
 * (/etc/kubernetes/pki). They are generated in the private root by `kubeadm init phase certs`, and
 * ca.crt is also placed at caCertPath when that differs. A worker's caCertPath must NOT exist yet
 * (preflight FileAvailable), so the worker root stays empty.
 *
 * What it writes (in `<root>/dryrun`): `kubeadm-flags.env` (our kubeletExtraArgs, and for workers
 * `--register-with-taints` from nodeRegistration.taints), `config.yaml`, `instance-config.yaml`,
 * `bootstrap-kubelet.conf`, `ca.crt`; for control-plane joins also the certificates, kubeconfigs and
 * static Pods (built from the fake cluster's ClusterConfiguration).
 */
export async function joinDryRun(
  joinYaml: string,
  opts: DryRunOptions & {
    kubernetesVersion?: string;
    /** Put the shared CAs in the root (control-plane joins). @default true */ withCaFiles?: boolean;
  } = {},
): Promise<JoinDryRunResult> {
  const config = withDryRunDiscovery(joinYaml);
  const join = yamlDocuments(config).find((d) => d.kind === "JoinConfiguration")!;
  const root = privateRoot("kubeadm-join-");
  writeFileSync(path.join(root, "kubeadm", "join.yaml"), config, { mode: 0o600 });
  if (join.controlPlane && opts.withCaFiles !== false) {
    const version = opts.kubernetesVersion ?? (await kubeadmVersion());
    // The four shared CAs a control-plane node gets from its bundle, generated by kubeadm itself.
    for (const phase of ["ca", "front-proxy-ca", "etcd-ca", "sa"]) {
      assertSucceeded(
        await runKubeadm([
          "--rootfs",
          root,
          "init",
          "phase",
          "certs",
          phase,
          "--cert-dir",
          DRY_RUN_CERTIFICATES_DIR,
          "--kubernetes-version",
          version,
        ]),
      );
    }
    const caCertPath = (join.caCertPath as string | undefined) ?? `${DRY_RUN_CERTIFICATES_DIR}/ca.crt`;
    const target = path.join(root, caCertPath);
    if (!existsSync(target)) place(path.join(root, DRY_RUN_CERTIFICATES_DIR, "ca.crt"), target);
  }
  const ignores = [...JOIN_PREFLIGHT_IGNORES, ...(opts.ignorePreflightErrors ?? [])];
  const r = await runKubeadm(
    ["--rootfs", root, "join", "--dry-run", "--config", "/kubeadm/join.yaml", `--ignore-preflight-errors=${ignores.join(",")}`],
    { KUBEADM_JOIN_DRYRUN_DIR: "/dryrun" },
    opts.timeoutMs,
  );
  const dir = path.join(root, "dryrun");
  return { ...r, tmp: root, root, dir, config, ...collect(dir) };
}

let versionCache: string | undefined;
/** `kubeadm version -o short`, e.g. `v1.36.3`. */
export async function kubeadmVersion(): Promise<string> {
  if (versionCache) return versionCache;
  const r = await runKubeadm(["version", "-o", "short"]);
  assertSucceeded(r);
  versionCache = r.stdout.trim();
  return versionCache;
}
