/**
 * The user's own files and systemd units for a role, the way Typhoon's snippets extend a node: e.g. a
 * node-exporter unit on every worker, a registry mirror's `hosts.toml` for containerd, an audit shipper
 * on the control plane. Files travel in the role's bundle (never in the user data), are checked to be
 * secret-free like every plain file, and are written before kubeadm runs; units are installed under
 * `/etc/systemd/system` and enabled and started once the node bootstrapped.
 *
 *   new Cluster("prod", { spec, environment, extensions: {
 *     workers: { units: [{ name: "node-exporter.service", content: unitText }] },
 *     pools: { gpu: { files: [{ path: "/etc/containerd/conf.d/50-gpu.toml", content: toml }] } },
 *   } });
 */
import type { RoleFile } from "./files";
import { FILES, PATHS } from "./paths";

/** A file the user adds to a role. */
export interface ExtensionFile {
  /** Absolute path on the node; not one the library writes (a clash is refused). Required. */
  path: string;
  /** The content (plain text, no secret: it is checked like every plain boot file). Required. */
  content: string;
  /** Octal mode. @default "0644" */
  permissions?: string;
}

/** A systemd unit the user adds to a role. */
export interface ExtensionUnit {
  /** Unit file name, e.g. `node-exporter.service` (`.service`, `.timer`, `.socket`, `.path` or `.mount`). Required. */
  name: string;
  /** The unit file's text. Required. */
  content: string;
  /** Enable and start it once the node bootstrapped (false: installed only, e.g. a service a timer starts). @default true */
  enable?: boolean;
}

/** What a user adds to one role. */
export interface RoleExtension {
  /** Files written before kubeadm runs. @default [] */
  files?: ExtensionFile[];
  /** Units installed with the files, enabled once the node bootstrapped. @default [] */
  units?: ExtensionUnit[];
}

/** Extensions of a cluster's roles. Pool entries add to `workers`. */
export interface ClusterExtensions {
  /** Every control-plane node. @default undefined */
  controlPlane?: RoleExtension;
  /** Every worker of every pool. @default undefined */
  workers?: RoleExtension;
  /** The workers of one pool, by pool name (added to `workers`). @default {} */
  pools?: Record<string, RoleExtension>;
  /** Every dedicated etcd member (no effect with stacked or colocated etcd: those run on control-plane nodes). @default undefined */
  etcd?: RoleExtension;
}

const UNIT_NAME = /^[A-Za-z0-9@._-]+\.(service|timer|socket|path|mount)$/;
const MODE = /^0?[0-7]{3}$/;
/** Where a user's file may not go: the library's own boot and Kubernetes folders. */
const RESERVED = [PATHS.pki, PATHS.kubeadmDir, PATHS.apiserverDir, PATHS.bootstrapDir, PATHS.lib, PATHS.manifests, PATHS.etcd];

/** Every problem with an extension, each naming `at` (e.g. `extensions.pools.gpu`). */
export function extensionProblems(at: string, ext: RoleExtension): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  (ext.files ?? []).forEach((f, i) => {
    const p = `${at}.files[${i}]`;
    if (!f.path.startsWith("/") || f.path.split("/").some((part) => part === ".." || part === ".") || f.path.endsWith("/")) {
      problems.push(`${p}.path: "${f.path}" must be an absolute file path without "." or ".." parts`);
    } else if (RESERVED.some((r) => f.path === r || f.path.startsWith(`${r}/`)) || f.path === FILES.env) {
      problems.push(`${p}.path: "${f.path}" is under a folder the library writes (${RESERVED.join(", ")})`);
    } else if (f.path.startsWith(`${PATHS.units}/`)) {
      problems.push(`${p}.path: "${f.path}": add systemd units as units, not files`);
    }
    if (seen.has(f.path)) problems.push(`${p}.path: "${f.path}" is given twice`);
    seen.add(f.path);
    if (f.permissions !== undefined && !MODE.test(f.permissions))
      problems.push(`${p}.permissions: "${f.permissions}" must be an octal mode such as 0644`);
  });
  (ext.units ?? []).forEach((u, i) => {
    const p = `${at}.units[${i}]`;
    if (!UNIT_NAME.test(u.name))
      problems.push(`${p}.name: "${u.name}" must be a unit file name ending in .service, .timer, .socket, .path or .mount`);
    else if (u.name.startsWith("kubeadm-aws-") || u.name.startsWith("etcd"))
      problems.push(`${p}.name: "${u.name}" is a name the library uses (kubeadm-aws-*, etcd*)`);
    const path = `${PATHS.units}/${u.name}`;
    if (seen.has(path)) problems.push(`${p}.name: "${u.name}" is given twice`);
    seen.add(path);
    if (!u.content.includes("[")) problems.push(`${p}.content: a unit file needs at least one [Section]`);
  });
  return problems;
}

/** The extension's files and unit files as boot files (through the bundle). Throws with every problem. */
export function extensionFiles(role: string, ext: RoleExtension | undefined): RoleFile[] {
  if (!ext) return [];
  const problems = extensionProblems(`${role} extension`, ext);
  if (problems.length > 0) throw new Error(problems.join("; "));
  return [
    ...(ext.files ?? []).map((f): RoleFile => ({
      path: f.path,
      content: f.content,
      permissions: f.permissions ?? "0644",
      sensitive: false,
      viaBundle: true,
    })),
    ...(ext.units ?? []).map((u): RoleFile => ({
      path: `${PATHS.units}/${u.name}`,
      content: u.content,
      permissions: "0644",
      sensitive: false,
      viaBundle: true,
    })),
  ];
}

/** Units the boot enables once the node bootstrapped. */
export function extensionUnits(ext: RoleExtension | undefined): string[] {
  return (ext?.units ?? []).filter((u) => u.enable ?? true).map((u) => u.name);
}

/** The extension of a pool's workers: `workers` first, then the pool's own. */
export function poolExtension(ext: ClusterExtensions | undefined, pool: string): RoleExtension | undefined {
  const all = ext?.workers;
  const own = ext?.pools?.[pool];
  if (!all && !own) return undefined;
  return { files: [...(all?.files ?? []), ...(own?.files ?? [])], units: [...(all?.units ?? []), ...(own?.units ?? [])] };
}

/** Every problem with a cluster's extensions, by path (`extensions.pools.gpu.units[0].name`); `pools` names must exist. */
export function clusterExtensionProblems(ext: ClusterExtensions, poolNames: readonly string[]): string[] {
  const problems: string[] = [];
  if (ext.controlPlane) problems.push(...extensionProblems("extensions.controlPlane", ext.controlPlane));
  if (ext.workers) problems.push(...extensionProblems("extensions.workers", ext.workers));
  if (ext.etcd) problems.push(...extensionProblems("extensions.etcd", ext.etcd));
  for (const [name, e] of Object.entries(ext.pools ?? {})) {
    if (!poolNames.includes(name))
      problems.push(`extensions.pools.${name}: no node pool is named ${name} (pools: ${poolNames.join(", ")})`);
    problems.push(...extensionProblems(`extensions.pools.${name}`, e));
  }
  for (const name of Object.keys(ext.pools ?? {})) {
    const merged = poolExtension(ext, name)!;
    const paths = [...(merged.files ?? []).map((f) => f.path), ...(merged.units ?? []).map((u) => u.name)];
    const dup = paths.find((p, i) => paths.indexOf(p) !== i);
    if (dup !== undefined && !problems.some((p) => p.includes(dup)))
      problems.push(`extensions.pools.${name}: ${dup} is also in extensions.workers`);
  }
  return problems;
}
