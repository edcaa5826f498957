/**
 * The node's scripts are real files in the package (`node/`), shipped and installed as they are:
 * shellcheck and the tests run those very files. Nothing is templated into them; every setting, path
 * and name they need comes from the env files the library renders (`renderBootstrapEnv`, and the
 * role-specific env files beside it). This module finds them and turns them into boot files.
 */
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import type { RoleFile } from "./files";
import { FILES } from "./paths";

/** The package's `node/` folder (found from this module, in the sources and in `dist/` alike). */
export function nodeDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, "node");
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(candidate, "sbin"))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`pulumi-kubeadm-aws: the node scripts folder (node/) was not found above ${__dirname}`);
    dir = up;
  }
}

const cache = new Map<string, string>();

/** The text of `node/<source>`, e.g. `sbin/kubeadm-aws-boot.sh`. */
export function nodeScriptText(source: string): string {
  let text = cache.get(source);
  if (text === undefined) {
    const file = path.join(nodeDir(), source);
    if (!existsSync(file)) throw new Error(`pulumi-kubeadm-aws: node script ${source} is missing from ${nodeDir()}`);
    text = readFileSync(file, "utf8");
    cache.set(source, text);
  }
  return text;
}

/** A node script and where it is installed. */
export interface NodeScript {
  /** Path under `node/`. */
  source: string;
  /** Absolute path on the node. */
  path: string;
}

/** The script as a boot file (mode 0755); `viaBundle` keeps it out of the user data. */
export function nodeScriptFile(s: NodeScript, opts: { viaBundle?: boolean } = {}): RoleFile {
  return {
    path: s.path,
    content: nodeScriptText(s.source),
    permissions: "0755",
    sensitive: false,
    ...(opts.viaBundle ? { viaBundle: true } : {}),
  };
}

/** Every node script, by where it comes from (under `node/`) and where it is installed: their one list. */
export const NODE_SCRIPTS = {
  lib: { source: "lib/lib.sh", path: FILES.shellLib },
  fetch: { source: "sbin/kubeadm-aws-fetch-bundle.sh", path: FILES.fetchScript },
  unpack: { source: "lib/unpack.py", path: FILES.unpacker },
  boot: { source: "sbin/kubeadm-aws-boot.sh", path: FILES.bootScript },
  tokenSync: { source: "sbin/kubeadm-aws-token-sync.sh", path: FILES.tokenSyncScript },
  initLock: { source: "sbin/kubeadm-aws-init-lock.sh", path: FILES.initLockScript },
  certRenew: { source: "sbin/kubeadm-aws-cert-renew.sh", path: FILES.certRenewScript },
  certExpiry: { source: "lib/cert-expiry.py", path: FILES.certExpiry },
} as const satisfies Record<string, NodeScript>;
