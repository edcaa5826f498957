/**
 * Builds (or reuses) the real Kubernetes and etcd binaries of the platform version manifest, from the
 * Go module proxy, so that tests judge rendered configuration with the exact versions we ship.
 *
 *   npm run -s k8s:bin                       # the manifest's versions; prints the bin folder on its last line
 *   npm run -s k8s:bin -- --kubernetes 1.36.3 --etcd 3.6.8
 *
 * What it builds:
 *   - from k8s.io/kubernetes@v<kubernetes>: kubeadm, kube-apiserver, kube-controller-manager,
 *     kube-scheduler, kube-proxy, kubectl, kubelet (kube-proxy: kubeadm's addon phase deploys it, so
 *     the local node images need it);
 *   - from go.etcd.io/etcd/{server,etcdctl,etcdutl}/v3@v<etcd>: etcd, etcdctl, etcdutl (etcd 3.6
 *     restores snapshots with etcdutl only).
 *
 * How: k8s.io/kubernetes requires its staging modules (k8s.io/api, ...) at v0.0.0 and replaces them
 * with ./staging/src paths, and Go honours `replace` only in the main module. So a wrapper module
 * requires k8s.io/kubernetes and replaces each staging module with its published v0.<minor>.<patch>.
 * The version ldflags are set as upstream's hack/lib/version.sh does, so `kubeadm version -o short`
 * prints the real version (kubeadm's skew checks depend on it). Upstream's build flags: tags
 * `selinux,notest`, `-trimpath`, `-s -w`. Every binary is built with CGO_ENABLED=0; upstream links the
 * kubelet dynamically, which matters only for features the tests do not use (the kubelet here only
 * performs TLS bootstrap).
 *
 * The cache lives outside the repository, keyed by version: $PKA_CACHE_DIR, else
 * $XDG_CACHE_HOME/pulumi-kubeadm-aws, else ~/.cache/pulumi-kubeadm-aws. It holds the Go module and
 * build caches and `bin/kubernetes-<v>_etcd-<v>/`. A second run finds the binaries and returns in
 * well under a second.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { BuildError, goEnv, isExecutable, lock } from "../build-util";

/** The binaries a bin folder holds once the build is complete. */
export const KUBERNETES_BINARIES = [
  "kubeadm",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kube-proxy",
  "kubectl",
  "kubelet",
] as const;
export const ETCD_BINARIES = ["etcd", "etcdctl", "etcdutl"] as const;

/** Options of a build; both versions are full `X.Y.Z` without the `v`. */
export interface BuildOptions {
  /** Kubernetes version to build. @default DEFAULT_VERSIONS.kubernetes */
  kubernetes?: string;
  /** etcd version to build. @default DEFAULT_VERSIONS.etcd */
  etcd?: string;
  /** Cache root. @default $PKA_CACHE_DIR, $XDG_CACHE_HOME/pulumi-kubeadm-aws or ~/.cache/pulumi-kubeadm-aws */
  cacheDir?: string;
  /** Where progress goes. @default stderr */
  log?: (line: string) => void;
}

export { BuildError };

/** The cache root. */
export function cacheRoot(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.PKA_CACHE_DIR) return process.env.PKA_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(xdg, "pulumi-kubeadm-aws");
}

/** The bin folder a build of these versions fills (it may not exist yet). */
export function binFolder(kubernetes: string, etcd: string, cacheDir?: string): string {
  return path.join(cacheRoot(cacheDir), "bin", `kubernetes-${kubernetes}_etcd-${etcd}`);
}

const FULL = /^\d+\.\d+\.\d+$/;

/** Builds what is missing and returns the bin folder. Throws BuildError with advice on failure. */
export function ensureBinaries(opts: BuildOptions = {}): string {
  const kubernetes = opts.kubernetes ?? DEFAULT_VERSIONS.kubernetes;
  const etcd = opts.etcd ?? DEFAULT_VERSIONS.etcd;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  for (const [name, v] of [
    ["kubernetes", kubernetes],
    ["etcd", etcd],
  ] as const) {
    if (!FULL.test(v)) throw new BuildError(`--${name} must be a full version X.Y.Z (got "${v}")`);
  }
  const root = cacheRoot(opts.cacheDir);
  const bin = binFolder(kubernetes, etcd, opts.cacheDir);
  const complete = [...KUBERNETES_BINARIES, ...ETCD_BINARIES].every((b) => isExecutable(path.join(bin, b)));
  if (complete) return bin;

  const go = goToolchain();
  const env = goEnv(root);
  // One build at a time per cache (a test run and a shell may both ask).
  const unlock = lock(path.join(root, "build.lock"), log);
  try {
    return buildLocked(kubernetes, etcd, root, bin, go, env, log);
  } finally {
    unlock();
  }
}

function buildLocked(
  kubernetes: string,
  etcd: string,
  root: string,
  bin: string,
  go: string,
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): string {
  const started = Date.now();
  const k8sOut = path.join(root, "kubernetes", kubernetes);
  const etcdOut = path.join(root, "etcd", etcd);
  // Only what is missing: a cache filled before a binary joined the list (kube-proxy) gets just that
  // one, an incremental build on the cached packages.
  const missing = KUBERNETES_BINARIES.filter((b) => !isExecutable(path.join(k8sOut, "bin", b)));
  if (missing.length > 0) {
    const cold = missing.length === KUBERNETES_BINARIES.length;
    log(
      `Building Kubernetes v${kubernetes} (${missing.join(", ")}) with ${go}${cold ? "; a cold build takes tens of minutes on 2 cores" : ""}`,
    );
    buildKubernetes(kubernetes, k8sOut, missing, env, log);
  }
  if (!ETCD_BINARIES.every((b) => isExecutable(path.join(etcdOut, "bin", b)))) {
    log(`Building etcd v${etcd} (${ETCD_BINARIES.join(", ")}) with ${go}`);
    buildEtcd(etcd, etcdOut, env, log);
  }
  fs.mkdirSync(bin, { recursive: true });
  for (const b of KUBERNETES_BINARIES) linkInto(path.join(k8sOut, "bin", b), path.join(bin, b));
  for (const b of ETCD_BINARIES) linkInto(path.join(etcdOut, "bin", b), path.join(bin, b));
  log(`Built in ${Math.round((Date.now() - started) / 1000)} s: ${bin}`);
  return bin;
}

function linkInto(from: string, to: string): void {
  fs.rmSync(to, { force: true });
  fs.symlinkSync(from, to);
}

function goToolchain(): string {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new BuildError(
      "Go is not installed (or not on PATH). Building Kubernetes needs Go >= 1.26 and the Go module proxy: install Go from your distribution or https://go.dev/dl, put it on PATH, and run `npm run -s k8s:bin` again.",
    );
  }
  return r.stdout.trim();
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, what: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new BuildError(`${what}: ${r.error.message}`);
  if (r.status !== 0)
    throw new BuildError(`${what} failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim().split("\n").slice(-30).join("\n")}`);
  return r.stdout;
}

interface Downloaded {
  dir: string;
  goMod: string;
  time?: string;
  hash?: string;
}

/** Downloads one module version through the proxy, or explains which versions it serves. */
function download(mod: string, version: string, cwd: string, env: NodeJS.ProcessEnv): Downloaded {
  const r = spawnSync("go", ["mod", "download", "-json", `${mod}@v${version}`], { cwd, env, encoding: "utf8" });
  let info: { Dir?: string; GoMod?: string; Time?: string; Error?: string; Origin?: { Hash?: string } } = {};
  try {
    info = JSON.parse(r.stdout) as typeof info;
  } catch {
    /* reported below */
  }
  if (r.status !== 0 || !info.Dir || !info.GoMod) {
    const listed = spawnSync("go", ["list", "-m", "-versions", mod], { cwd, env, encoding: "utf8" });
    const served = listed.status === 0 ? listed.stdout.trim().split(/\s+/).slice(1) : [];
    const minor = version.split(".").slice(0, 2).join(".");
    const same = served.filter((v) => v.startsWith(`v${minor}.`) && !v.includes("-"));
    throw new BuildError(
      `The Go module proxy (${env.GOPROXY || "GOPROXY default"}) does not serve ${mod}@v${version}: ${(info.Error || r.stderr || "").trim()}\n` +
        (same.length > 0
          ? `It serves these ${minor} releases: ${same.join(" ")}. Pin one of them in the manifest (components/versions/manifest.ts) or pass --${mod.includes("etcd") ? "etcd" : "kubernetes"}.`
          : `It lists no ${minor} release of ${mod}; check GOPROXY and your network, or pick another version.`),
    );
  }
  return { dir: info.Dir, goMod: fs.readFileSync(info.GoMod, "utf8"), time: info.Time, hash: info.Origin?.Hash };
}

/** Numeric compare of Go versions such as `1.26.0` and `1.26`. */
export function goVersionAtLeast(have: string, need: string): boolean {
  const a = have.split(".").map(Number);
  const b = need.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** Stops with advice when the local Go is older than the module's `go` directive (GOTOOLCHAIN may fetch a newer one). */
function requireGo(goMod: string, what: string, env: NodeJS.ProcessEnv): void {
  const need = /^go\s+(\S+)/m.exec(goMod)?.[1];
  const have = spawnSync("go", ["env", "GOVERSION"], { env: { ...env, GOTOOLCHAIN: "local" }, encoding: "utf8" })
    .stdout.trim()
    .replace(/^go/, "");
  if (need && have && !goVersionAtLeast(have, need) && (env.GOTOOLCHAIN ?? "auto").startsWith("local")) {
    throw new BuildError(
      `${what} needs Go >= ${need}; this machine has Go ${have}. Install a newer Go, or export GOTOOLCHAIN=go${need} to let the go command fetch that toolchain from the module proxy.`,
    );
  }
}

/** `godebug` lines and the `go` directive of a go.mod, to copy into the wrapper (Go ignores them in dependencies). */
function goHeader(goMod: string): string {
  const go = /^go\s+(\S+)/m.exec(goMod)?.[1] ?? "1.26";
  const godebug = goMod.split("\n").filter((l) => /^godebug\s/.test(l));
  return [`go ${go}`, ...godebug].join("\n");
}

/**
 * The staging modules k8s.io/kubernetes requires at v0.0.0 and replaces with ./staging/src paths, from
 * its go.mod. (Some staging modules, such as the samples, are replaced but never required and are not
 * always published: they are left out.)
 */
export function stagingModules(goMod: string): string[] {
  const replaced = new Set<string>();
  for (const m of goMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\/src\/\1\s*$/gm)) replaced.add(m[1]!);
  const required = new Set<string>();
  for (const m of goMod.matchAll(/^\s*(?:require\s+)?(k8s\.io\/[\w.-]+)\s+v0\.0\.0(?:\s*\/\/.*)?$/gm)) required.add(m[1]!);
  return [...replaced].filter((m) => required.has(m)).sort();
}

/** The wrapper go.mod that builds k8s.io/kubernetes at `version` (pure: tests read it). */
export function kubernetesWrapperGoMod(version: string, upstreamGoMod: string): string {
  const [, minor, patch] = version.split(".");
  const staging = stagingModules(upstreamGoMod);
  if (staging.length === 0)
    throw new BuildError(
      `k8s.io/kubernetes@v${version}'s go.mod lists no staging replacements; this build expects the ./staging/src layout`,
    );
  return [
    "// Generated by tools/k8s/build.ts: builds k8s.io/kubernetes from the module proxy.",
    "module pulumi-kubeadm-aws.local/kubernetes-build",
    "",
    goHeader(upstreamGoMod),
    "",
    `require k8s.io/kubernetes v${version}`,
    "",
    "replace (",
    ...staging.map((m) => `\t${m} => ${m} v0.${minor}.${patch}`),
    ")",
    "",
  ].join("\n");
}

/** The -X ldflags upstream's hack/lib/version.sh sets, on both version packages. */
export function versionLdflags(version: string, commit: string, buildDate: string): string[] {
  const [major, minor] = version.split(".");
  const flags: string[] = [];
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    flags.push(
      `-X ${pkg}.gitVersion=v${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitCommit=${commit}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=${buildDate}`,
    );
  }
  return flags;
}

function buildKubernetes(
  version: string,
  out: string,
  binaries: readonly string[],
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): void {
  const src = path.join(out, "src");
  fs.mkdirSync(src, { recursive: true });
  const k8s = download("k8s.io/kubernetes", version, src, env);
  requireGo(k8s.goMod, `k8s.io/kubernetes@v${version}`, env);
  fs.writeFileSync(path.join(src, "go.mod"), kubernetesWrapperGoMod(version, k8s.goMod));
  fs.rmSync(path.join(src, "go.sum"), { force: true });
  const [, minor, patch] = version.split(".");
  // Every staging module must be served at the matching version, or the build cannot resolve.
  for (const m of stagingModules(k8s.goMod)) download(m, `0.${minor}.${patch}`, src, env);
  const commit = k8s.hash ?? "0000000000000000000000000000000000000000";
  const buildDate = (k8s.time ?? "1970-01-01T00:00:00Z").replace(/\.\d+Z$/, "Z");
  const ldflags = ["-s", "-w", ...versionLdflags(version, commit, buildDate)].join(" ");
  const binDir = path.join(out, "bin");
  fs.mkdirSync(binDir, { recursive: true });
  const started = Date.now();
  run("go", ["mod", "download"], src, env, "go mod download (k8s.io/kubernetes dependencies)");
  log(`  modules ready in ${Math.round((Date.now() - started) / 1000)} s; compiling`);
  run(
    "go",
    [
      "build",
      "-mod=mod",
      "-trimpath",
      "-tags=selinux,notest",
      `-ldflags=${ldflags}`,
      "-o",
      binDir + path.sep,
      ...binaries.map((b) => `k8s.io/kubernetes/cmd/${b}`),
    ],
    src,
    env,
    `go build k8s.io/kubernetes@v${version}`,
  );
  const printed = run(path.join(binDir, "kubeadm"), ["version", "-o", "short"], src, env, "kubeadm version").trim();
  if (printed !== `v${version}`)
    throw new BuildError(`the built kubeadm reports ${printed}, expected v${version}: the version ldflags did not apply`);
}

function buildEtcd(version: string, out: string, env: NodeJS.ProcessEnv, log: (l: string) => void): void {
  const src = path.join(out, "src");
  fs.mkdirSync(src, { recursive: true });
  const server = download("go.etcd.io/etcd/server/v3", version, src, env);
  download("go.etcd.io/etcd/etcdctl/v3", version, src, env);
  download("go.etcd.io/etcd/etcdutl/v3", version, src, env);
  fs.writeFileSync(
    path.join(src, "go.mod"),
    [
      "// Generated by tools/k8s/build.ts: builds etcd and etcdctl from the module proxy.",
      "module pulumi-kubeadm-aws.local/etcd-build",
      "",
      goHeader(server.goMod).replace(/^go (\d+\.\d+)$/m, "go $1.0"),
      "",
      "require (",
      `\tgo.etcd.io/etcd/server/v3 v${version}`,
      `\tgo.etcd.io/etcd/etcdctl/v3 v${version}`,
      `\tgo.etcd.io/etcd/etcdutl/v3 v${version}`,
      ")",
      "",
    ].join("\n"),
  );
  fs.rmSync(path.join(src, "go.sum"), { force: true });
  const binDir = path.join(out, "bin");
  fs.mkdirSync(binDir, { recursive: true });
  const sha = (server.hash ?? "").slice(0, 7) || "unknown";
  const ldflags = `-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${sha}`;
  run("go", ["mod", "download"], src, env, "go mod download (etcd dependencies)");
  run(
    "go",
    ["build", "-mod=mod", "-trimpath", `-ldflags=${ldflags}`, "-o", path.join(binDir, "etcd"), "go.etcd.io/etcd/server/v3"],
    src,
    env,
    `go build etcd v${version}`,
  );
  run(
    "go",
    ["build", "-mod=mod", "-trimpath", `-ldflags=${ldflags}`, "-o", path.join(binDir, "etcdctl"), "go.etcd.io/etcd/etcdctl/v3"],
    src,
    env,
    `go build etcdctl v${version}`,
  );
  run(
    "go",
    ["build", "-mod=mod", "-trimpath", `-ldflags=${ldflags}`, "-o", path.join(binDir, "etcdutl"), "go.etcd.io/etcd/etcdutl/v3"],
    src,
    env,
    `go build etcdutl v${version}`,
  );
  const printed = run(path.join(binDir, "etcd"), ["--version"], src, env, "etcd --version");
  if (!printed.includes(`etcd Version: ${version}`))
    throw new BuildError(`the built etcd reports ${printed.split("\n")[0]}, expected ${version}`);
  log(`  etcd ${version} built`);
}

function parseArgs(argv: string[]): BuildOptions {
  const opts: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--kubernetes") opts.kubernetes = argv[++i];
    else if (a === "--etcd") opts.etcd = argv[++i];
    else if (a === "--cache-dir") opts.cacheDir = argv[++i];
    else throw new BuildError(`unknown argument ${a}; usage: npm run -s k8s:bin [-- --kubernetes X.Y.Z --etcd X.Y.Z --cache-dir DIR]`);
  }
  return opts;
}

if (require.main === module) {
  try {
    const started = Date.now();
    const bin = ensureBinaries(parseArgs(process.argv.slice(2)));
    process.stderr.write(`Kubernetes binaries ready (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    process.stdout.write(`${bin}\n`);
  } catch (e) {
    process.stderr.write(`${e instanceof BuildError ? e.message : String((e as Error).stack ?? e)}\n`);
    process.exit(1);
  }
}
