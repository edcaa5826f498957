/**
 * Builds (or reuses) everything a node image needs offline, from the Go module proxy and this
 * machine's Debian packages, for the "local boot" test (nspawn containers that run the Packer
 * provisioners and a real kubeadm cluster):
 *
 *   npx tsx tools/node-artifacts/build.ts            # prints the mirror folder on its last line
 *   npm run -s node:artifacts -- --strict            # refuse to substitute a release the proxy lacks
 *
 * - a mirror folder with the files packer/scripts/20-containerd.sh, 30-kubernetes.sh and 40-etcd.sh
 *   download, under their URLs' basenames (mirror.ts), and SHA256SUMS;
 * - one docker-archive per container image 70-prepull.sh would pull (images.ts), for
 *   `ctr -n k8s.io images import`.
 *
 * Versions are the manifest's (components/versions/manifest.ts). Kubernetes and etcd come from
 * tools/k8s/build.ts; containerd, runc, the CNI plugins, crictl, CoreDNS and our pause from
 * go-builds.ts. Everything lives in the cache (tools/k8s/build.ts's cacheRoot()):
 * `<cache>/node-artifacts/<versions>_<host>/{mirror,images,result.json}`, where <host> hashes the
 * Debian packages copied into images (busybox-static, iptables, conntrack). A second run reads
 * result.json and returns at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_VERSIONS, NODE_VERSION_KEYS, versionFormat, type NodeVersions } from "../../components/versions/manifest";
import { cacheRoot, ensureBinaries } from "../k8s/build";
import { BuildError, debVersion, isExecutable, lock, sha256, since, type Log } from "./common";
import { ensureGoComponent, type BuiltComponent, type GoComponent } from "./go-builds";
import { buildImage, busyboxTag, imageRefs, listKubeadmImages, type BuiltImage } from "./images";
import { MIRROR_ARTIFACTS, mirrorFileNames, packMirror, type MirrorArtifact } from "./mirror";

export { BuildError };

/** Bump when the layout or content of the outputs changes, so old caches are not reused. */
const FORMAT = 1;

export type { NodeVersions };

export interface NodeArtifactsOptions {
  /** Versions to build. @default DEFAULT_VERSIONS (the manifest) */
  versions?: Partial<NodeVersions>;
  /** Cache root. @default as tools/k8s/build.ts: $PKA_CACHE_DIR, $XDG_CACHE_HOME/pulumi-kubeadm-aws, ~/.cache/pulumi-kubeadm-aws */
  cacheDir?: string;
  /** Refuse (BuildError) instead of building the nearest served release when the proxy lacks a version. */
  strict?: boolean;
  /** Where progress goes. @default stderr */
  log?: Log;
}

export interface NodeArtifacts {
  /** The mirror: the packer scripts' download basenames and SHA256SUMS. */
  mirrorDir: string;
  /** One docker-archive `.tar` per image. */
  imagesDir: string;
  /** sha256 (hex) of each mirror file, by file name (what SHA256SUMS says). */
  sha256: Record<string, string>;
  /** The versions requested (the manifest's unless overridden). */
  requested: NodeVersions;
  /** The versions built, which name the mirror's files; differ from `requested` only where the proxy lacks a release. */
  versions: NodeVersions;
  /** File name of each mirror artifact. */
  files: Record<MirrorArtifact, string>;
  /** Every image: reference, archive path, image id. */
  images: BuiltImage[];
  /** How runc is linked (static-pie when it links). */
  runcLinkage: string;
}

/** The cache folder name of a build: readable versions, and a hash of the host packages copied into images. Pure. */
export function artifactsKey(v: NodeVersions, host: Readonly<Record<string, string>>): string {
  const hostHash = sha256(JSON.stringify({ FORMAT, host })).slice(0, 10);
  const k = v.kubelet === v.kubernetes ? "" : `_kubelet-${v.kubelet}`;
  return `kubernetes-${v.kubernetes}${k}_etcd-${v.etcd}_containerd-${v.containerd}_runc-${v.runc}_cni-${v.cniPlugins}_crictl-${v.crictl}_coredns-${v.coredns}_pause-${v.pause}_${hostHash}`;
}

function hostPackages(): Record<string, string> {
  return { busybox: debVersion("busybox-static") ?? "", iptables: debVersion("iptables") ?? "", conntrack: debVersion("conntrack") ?? "" };
}

/** The folder a build of these versions fills (it may not exist yet). */
export function artifactsFolder(opts: Pick<NodeArtifactsOptions, "versions" | "cacheDir"> = {}): string {
  return path.join(cacheRoot(opts.cacheDir), "node-artifacts", artifactsKey(requestedVersions(opts.versions), hostPackages()));
}

function requestedVersions(over: Partial<NodeVersions> = {}): NodeVersions {
  const v = Object.fromEntries(NODE_VERSION_KEYS.map((k) => [k, over[k] ?? DEFAULT_VERSIONS[k]])) as unknown as NodeVersions;
  if (over.kubernetes && !over.kubelet) v.kubelet = over.kubernetes;
  return v;
}

/** A previous build's result, when every file it names still exists. */
function reuse(dir: string): NodeArtifacts | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8")) as NodeArtifacts;
    const files = [
      ...Object.keys(r.sha256).map((f) => path.join(r.mirrorDir, f)),
      path.join(r.mirrorDir, "SHA256SUMS"),
      ...r.images.map((i) => i.file),
    ];
    if (r.mirrorDir === path.join(dir, "mirror") && files.every((f) => fs.existsSync(f))) return r;
  } catch {
    /* not built */
  }
  return undefined;
}

/** Builds what is missing and returns where the mirror and the images are. Throws BuildError with advice on failure. */
export function ensureNodeArtifacts(opts: NodeArtifactsOptions = {}): NodeArtifacts {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const requested = requestedVersions(opts.versions);
  for (const k of NODE_VERSION_KEYS) {
    const format = versionFormat(k)!;
    if (!format.pattern.test(requested[k])) throw new BuildError(`${k} must be a ${format.shape} (got "${requested[k]}")`);
  }
  if (requested.kubelet !== requested.kubernetes) {
    throw new BuildError(
      `kubelet ${requested.kubelet} differs from kubernetes ${requested.kubernetes}: tools/k8s/build.ts builds one Kubernetes version, so the local mirror needs them equal`,
    );
  }
  const root = cacheRoot(opts.cacheDir);
  const dir = artifactsFolder(opts);
  const done = reuse(dir);
  if (done && opts.strict) refuseSubstitutes(done);
  if (done) return done;

  const unlock = lock(path.join(root, "node-artifacts", "build.lock"), log);
  try {
    return reuse(dir) ?? buildLocked(requested, root, dir, !!opts.strict, opts.cacheDir, log);
  } finally {
    unlock();
  }
}

function refuseSubstitutes(r: NodeArtifacts): void {
  const substituted = NODE_VERSION_KEYS.filter((k) => r.versions[k] !== r.requested[k]);
  if (substituted.length > 0) {
    throw new BuildError(
      `--strict: the cached artifacts carry ${substituted.map((k) => `${k} ${r.versions[k]} for ${r.requested[k]}`).join(", ")} (the proxy did not serve the manifest's release)`,
    );
  }
}

function buildLocked(
  requested: NodeVersions,
  root: string,
  dir: string,
  strict: boolean,
  cacheDir: string | undefined,
  log: Log,
): NodeArtifacts {
  const started = Date.now();
  log(`Building the node artifacts into ${dir}`);
  const k8sBin = ensureBinaries({ kubernetes: requested.kubernetes, etcd: requested.etcd, cacheDir, log });
  for (const b of ["kubelet", "kubeadm", "kubectl", "kube-proxy", "etcd", "etcdctl", "etcdutl"]) {
    if (!isExecutable(path.join(k8sBin, b))) throw new BuildError(`${k8sBin} lacks ${b}; run npm run -s k8s:bin`);
  }
  const go: Record<GoComponent, BuiltComponent> = {} as Record<GoComponent, BuiltComponent>;
  for (const c of ["pause", "runc", "cniPlugins", "crictl", "containerd", "coredns"] as const)
    go[c] = ensureGoComponent(c, requested[c], root, strict, log);

  const versions: NodeVersions = { ...requested };
  for (const c of ["containerd", "runc", "cniPlugins", "crictl", "coredns"] as const) versions[c] = go[c].version;
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const work = path.join(tmp, "work");
  const mirrorArtifactVersions = Object.fromEntries(
    MIRROR_ARTIFACTS.map((a) => [a, a === "kubeadm" || a === "kubectl" ? versions.kubernetes : versions[a as keyof NodeVersions]]),
  ) as Record<MirrorArtifact, string>;

  let step = Date.now();
  const sums = packMirror(
    path.join(tmp, "mirror"),
    {
      versions: mirrorArtifactVersions,
      containerdBin: go.containerd.bin,
      runcBin: go.runc.bin,
      cniBin: go.cniPlugins.bin,
      cniPlugins: go.cniPlugins.binaries,
      crictlBin: go.crictl.bin,
      k8sBin,
    },
    work,
  );
  log(`  mirror packed in ${since(step)}`);

  step = Date.now();
  const refs = imageRefs(
    listKubeadmImages(path.join(k8sBin, "kubeadm"), versions, work),
    versions.pause,
    busyboxTag(debVersion("busybox-static")),
  );
  const imagesTmp = path.join(tmp, "images");
  fs.mkdirSync(imagesTmp, { recursive: true });
  const images = refs.map((ref) => buildImage(ref, imagesTmp, work, { k8sBin, corednsBin: go.coredns.bin, pauseBin: go.pause.bin }));
  log(`  ${images.length} images built in ${since(step)}: ${refs.join(" ")}`);
  fs.rmSync(work, { recursive: true, force: true });

  const result: NodeArtifacts = {
    mirrorDir: path.join(dir, "mirror"),
    imagesDir: path.join(dir, "images"),
    sha256: sums,
    requested,
    versions,
    files: mirrorFileNames(mirrorArtifactVersions),
    images: images.map((i) => ({ ...i, file: path.join(dir, "images", path.basename(i.file)) })),
    runcLinkage: go.runc.linkage ?? "unknown",
  };
  fs.writeFileSync(path.join(tmp, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  const substituted = NODE_VERSION_KEYS.filter((k) => versions[k] !== requested[k]).map(
    (k) => `${k} ${versions[k]} (manifest: ${requested[k]})`,
  );
  if (substituted.length > 0) log(`  NOTE: built ${substituted.join(", ")}: the proxy does not serve the manifest's release`);
  log(`Node artifacts built in ${since(started)}`);
  return result;
}

function parseArgs(argv: string[]): NodeArtifactsOptions {
  const opts: NodeArtifactsOptions = { versions: {} };
  const flags: Record<string, keyof NodeVersions> = {
    "--kubernetes": "kubernetes",
    "--etcd": "etcd",
    "--containerd": "containerd",
    "--runc": "runc",
    "--cni-plugins": "cniPlugins",
    "--crictl": "crictl",
    "--coredns": "coredns",
    "--pause": "pause",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (flags[a]) opts.versions![flags[a]] = argv[++i];
    else if (a === "--cache-dir") opts.cacheDir = argv[++i];
    else if (a === "--strict") opts.strict = true;
    else
      throw new BuildError(
        `unknown argument ${a}; usage: npx tsx tools/node-artifacts/build.ts [--strict] [--cache-dir DIR] [${Object.keys(flags)
          .map((f) => `${f} V`)
          .join(" ")}]`,
      );
  }
  return opts;
}

if (require.main === module) {
  try {
    const started = Date.now();
    const r = ensureNodeArtifacts(parseArgs(process.argv.slice(2)));
    process.stderr.write(`Node artifacts ready (${((Date.now() - started) / 1000).toFixed(1)} s); images in ${r.imagesDir}\n`);
    process.stdout.write(`${r.mirrorDir}\n`);
  } catch (e) {
    process.stderr.write(`${e instanceof BuildError ? e.message : String((e as Error).stack ?? e)}\n`);
    process.exit(1);
  }
}
