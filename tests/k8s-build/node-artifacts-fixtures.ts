/**
 * Helpers of the node-artifacts tests (node-artifacts-*.test.ts): the environment build.pkr.hcl gives the
 * Packer provisioners, the URLs their download scripts fetch, and readers of the image archives.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { readFileSync } from "fs";
import * as path from "path";
import { MANIFEST_VARIABLES } from "../../components/images/packer";
import type { NodeVersions } from "../../tools/node-artifacts/build";

const REPO = path.join(__dirname, "..", "..");
export const SCRIPTS = path.join(REPO, "packer", "scripts");
const DOWNLOAD_SCRIPTS = ["20-containerd.sh", "30-kubernetes.sh", "40-etcd.sh"];
/** The first run builds everything (minutes); later runs reuse the cache. */
export const BUILD_TIMEOUT = 60 * 60_000;

/** The environment build.pkr.hcl gives the scripts (KUBERNETES_VERSION=${var.kubernetes_version}, ...), for these versions. */
export function scriptEnv(v: NodeVersions): Record<string, string> {
  const hcl = readFileSync(path.join(REPO, "packer", "build.pkr.hcl"), "utf8");
  const fieldOf = Object.fromEntries(Object.entries(MANIFEST_VARIABLES).map(([field, variable]) => [variable, field]));
  const env: Record<string, string> = {};
  for (const m of hcl.matchAll(/"([A-Z0-9_]+)=\$\{var\.([a-z0-9_]+)\}"/g)) {
    const field = fieldOf[m[2]!] as keyof NodeVersions | undefined;
    if (field && field in v) env[m[1]!] = v[field];
  }
  return env;
}

export function substitute(s: string, env: Record<string, string>): string {
  return s.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    if (!(name in env)) throw new Error(`no value for \${${name}} in ${s}`);
    return env[name]!;
  });
}

/** Every URL the download scripts `fetch`, with the variables of `env` substituted. */
export function scriptDownloadUrls(env: Record<string, string>): string[] {
  const urls: string[] = [];
  for (const s of DOWNLOAD_SCRIPTS) {
    const text = readFileSync(path.join(SCRIPTS, s), "utf8");
    for (const m of text.matchAll(/^\s*fetch\s+"([^"]+)"/gm)) urls.push(substitute(m[1]!, env));
  }
  return urls;
}

export function sh(cmd: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number | null; out: string } {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

export function tarMember(archive: string, member: string): string {
  const r = spawnSync("tar", ["-xOf", archive, member], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tar -xOf ${archive} ${member}: ${r.stderr}`);
  return r.stdout;
}

export interface Archive {
  manifest: { Config: string; RepoTags: string[]; Layers: string[] }[];
  config: {
    architecture: string;
    os: string;
    config: { Env: string[]; Entrypoint?: string[]; Cmd?: string[] };
    rootfs: { type: string; diff_ids: string[] };
  };
  /** `tar -tv --numeric-owner` lines of the layer. */
  layer: string[];
  layerSha256: string;
}

export function readArchive(file: string): Archive {
  const manifest = JSON.parse(tarMember(file, "manifest.json")) as Archive["manifest"];
  const config = JSON.parse(tarMember(file, manifest[0]!.Config)) as Archive["config"];
  const layerMember = manifest[0]!.Layers[0]!;
  const hashed = sh(`tar -xOf '${file}' '${layerMember}' | sha256sum`);
  const listed = sh(`tar -xOf '${file}' '${layerMember}' | tar -tv --numeric-owner`);
  return { manifest, config, layer: listed.out.trim().split("\n"), layerSha256: hashed.out.split(" ")[0]! };
}

export function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

export function debVersion(pkg: string): string | undefined {
  const res = spawnSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.trim() : undefined;
}
