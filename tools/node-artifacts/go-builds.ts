/**
 * The node's runtime binaries built from the Go module proxy, each in a small wrapper module that
 * requires the upstream module at the exact version (Go builds a dependency's packages with the
 * versions its go.mod asks for, so the wrapper reproduces the upstream build's dependency graph), with
 * the version ldflags upstream's Makefiles set:
 *
 *   containerd  github.com/containerd/containerd/v2  cmd/containerd, cmd/containerd-shim-runc-v2, cmd/ctr
 *   runc        github.com/opencontainers/runc       (seccomp: cgo against Debian's libseccomp, static-pie when it links)
 *   cniPlugins  github.com/containernetworking/plugins  every linux plugin of plugins/{main,ipam,meta}
 *   crictl      sigs.k8s.io/cri-tools                cmd/crictl
 *   coredns     github.com/coredns/coredns           coredns
 *   pause       tools/node-artifacts/pause           our own sandbox process
 *
 * Each lands in `<cache>/node-artifacts/go/<name>-<requested version>/bin/` with a `built.json` naming
 * the version actually built: when the proxy does not serve the requested release, the newest served
 * release of the same major that is not newer is built instead (and stamped with ITS version, never
 * the requested one), unless `strict` is set.
 */
import { goEnv } from "../build-util";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { goVersionAtLeast } from "../k8s/build";
import { BuildError, have, isExecutable, run, since, type Log } from "./common";

/** The Go-built components and the versions asked for. */
export type GoComponent = "containerd" | "runc" | "cniPlugins" | "crictl" | "coredns" | "pause";

export interface BuiltComponent {
  /** Folder holding the binaries. */
  bin: string;
  /** The version built (`X.Y.Z`); differs from `requested` only when the proxy lacks that release. */
  version: string;
  requested: string;
  binaries: string[];
  /** How runc was linked (static-pie, static or dynamic); absent for the others. */
  linkage?: string;
}

const MODULES: Record<Exclude<GoComponent, "pause">, string> = {
  containerd: "github.com/containerd/containerd/v2",
  runc: "github.com/opencontainers/runc",
  cniPlugins: "github.com/containernetworking/plugins",
  crictl: "sigs.k8s.io/cri-tools",
  coredns: "github.com/coredns/coredns",
};

export const CONTAINERD_BINARIES = ["containerd", "containerd-shim-runc-v2", "ctr"] as const;
/** The plugins the node needs at least (the archive holds every linux plugin). */
export const REQUIRED_CNI_PLUGINS = [
  "bridge",
  "host-local",
  "loopback",
  "portmap",
  "bandwidth",
  "firewall",
  "tuning",
  "host-device",
  "ptp",
] as const;

export const PAUSE_SOURCE = path.join(__dirname, "pause");

interface ModInfo {
  dir: string;
  goMod: string;
  hash?: string;
}

function modDownload(mod: string, version: string, cwd: string, env: NodeJS.ProcessEnv): ModInfo | { error: string } {
  const r = spawnSync("go", ["mod", "download", "-json", `${mod}@v${version}`], { cwd, env, encoding: "utf8" });
  let info: { Dir?: string; GoMod?: string; Error?: string; Origin?: { Hash?: string } } = {};
  try {
    info = JSON.parse(r.stdout) as typeof info;
  } catch {
    /* reported below */
  }
  if (r.status !== 0 || !info.Dir || !info.GoMod) return { error: (info.Error || r.stderr || "").trim() };
  return { dir: info.Dir, goMod: fs.readFileSync(info.GoMod, "utf8"), hash: info.Origin?.Hash };
}

/**
 * The release to build when `requested` is not served: the newest served `X.Y.Z` (no pre-release) of
 * the same major that is not newer than `requested`. Pure.
 */
export function servedFallback(requested: string, served: readonly string[]): string | undefined {
  const major = requested.split(".")[0];
  const releases = served
    .map((v) => v.replace(/^v/, ""))
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.split(".")[0] === major && goVersionAtLeast(requested, v))
    .sort(compareVersions);
  return releases.at(-1);
}

/** Numeric order of `X.Y.Z` versions. */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function resolve(
  mod: string,
  requested: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  strict: boolean,
  log: Log,
): { version: string; info: ModInfo } {
  const got = modDownload(mod, requested, cwd, env);
  if (!("error" in got)) return { version: requested, info: got };
  const listed = spawnSync("go", ["list", "-m", "-versions", mod], { cwd, env, encoding: "utf8" });
  const served = listed.status === 0 ? listed.stdout.trim().split(/\s+/).slice(1) : [];
  const fallback = servedFallback(requested, served);
  const what = `The Go module proxy (${env.GOPROXY || "GOPROXY default"}) does not serve ${mod}@v${requested}: ${got.error.split("\n")[0]}`;
  if (strict || !fallback) {
    throw new BuildError(
      `${what}\nIt serves: ${served.join(" ") || "(nothing listed)"}. Pin a served release in components/versions/manifest.ts${strict ? ", or drop --strict to build the newest served release not newer than the manifest's" : ""}.`,
    );
  }
  log(
    `WARNING: ${what}\n  building v${fallback} instead (the newest served release not newer than v${requested}); its files carry v${fallback}`,
  );
  const again = modDownload(mod, fallback, cwd, env);
  if ("error" in again) throw new BuildError(`${mod}@v${fallback}: ${again.error}`);
  return { version: fallback, info: again };
}

/** `replace` directives of an upstream go.mod that point at other modules (local paths cannot be copied). Pure. */
export function copyableReplaces(goMod: string): string[] {
  const lines: string[] = [];
  const body = goMod.replace(/\/\/.*$/gm, "");
  for (const m of body.matchAll(/^replace\s*\(\s*\n([\s\S]*?)^\)/gm)) lines.push(...m[1]!.split("\n"));
  for (const m of body.matchAll(/^replace\s+([^(\n].*)$/gm)) lines.push(m[1]!);
  return lines
    .map((l) => l.trim())
    .filter((l) => /=>\s*[^.\s/][^\s]*\s+v\S+$/.test(l))
    .map((l) => l.replace(/\s+/g, " "));
}

/** The wrapper go.mod requiring `mod@v<version>`, with the upstream's go line, godebug lines and module replaces. Pure. */
export function wrapperGoMod(name: string, mod: string, version: string, upstreamGoMod: string): string {
  const go = /^go\s+(\S+)/m.exec(upstreamGoMod)?.[1] ?? "1.26";
  const godebug = upstreamGoMod.split("\n").filter((l) => /^godebug\s/.test(l));
  const replaces = copyableReplaces(upstreamGoMod);
  return [
    `// Generated by tools/node-artifacts/build.ts: builds ${mod} from the module proxy.`,
    `module pulumi-kubeadm-aws.local/${name}-build`,
    "",
    `go ${go}`,
    ...godebug,
    "",
    `require ${mod} v${version}`,
    ...(replaces.length > 0 ? ["", "replace (", ...replaces.map((r) => `\t${r}`), ")"] : []),
    "",
  ].join("\n");
}

function requireGo(goMod: string, what: string): void {
  const need = /^go\s+(\S+)/m.exec(goMod)?.[1];
  const have = spawnSync("go", ["env", "GOVERSION"], { env: { ...process.env, GOTOOLCHAIN: "local" }, encoding: "utf8" })
    .stdout.trim()
    .replace(/^go/, "");
  if (need && have && !goVersionAtLeast(have, need) && (process.env.GOTOOLCHAIN ?? "auto").startsWith("local")) {
    throw new BuildError(`${what} needs Go >= ${need}; this machine has Go ${have}. Install a newer Go, or export GOTOOLCHAIN=go${need}.`);
  }
}

function goBuild(
  src: string,
  env: NodeJS.ProcessEnv,
  out: string,
  pkgs: string[],
  tags: string[],
  ldflags: string[],
  what: string,
  extra: string[] = [],
): void {
  const args = ["build", "-mod=mod", "-trimpath", ...extra];
  if (tags.length > 0) args.push(`-tags=${tags.join(",")}`);
  args.push(`-ldflags=${ldflags.join(" ")}`, "-o", out, ...pkgs);
  run("go", args, what, { cwd: src, env });
}

/** Builds one component unless its folder is complete; returns what it holds. */
export function ensureGoComponent(component: GoComponent, requested: string, root: string, strict: boolean, log: Log): BuiltComponent {
  const dir = path.join(root, "node-artifacts", "go", `${component}-${requested}`);
  const marker = path.join(dir, "built.json");
  try {
    const built = JSON.parse(fs.readFileSync(marker, "utf8")) as BuiltComponent;
    if (built.binaries.every((b) => isExecutable(path.join(built.bin, b)))) {
      if (strict && built.version !== requested) {
        throw new BuildError(
          `${component}: the cache holds v${built.version} built in place of v${requested} (the proxy did not serve it); --strict refuses it. Delete ${dir} to try the proxy again.`,
        );
      }
      return built;
    }
  } catch {
    /* not built yet */
  }
  const started = Date.now();
  const src = path.join(dir, "src");
  const bin = path.join(dir, "bin");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  fs.mkdirSync(bin, { recursive: true });
  const built =
    component === "pause" ? buildPause(requested, bin, root) : buildFromProxy(component, requested, src, bin, root, strict, log);
  fs.writeFileSync(marker, `${JSON.stringify(built, null, 2)}\n`);
  log(`  ${component} ${built.version} built in ${since(started)}${built.linkage ? ` (${built.linkage})` : ""}`);
  return built;
}

function buildPause(version: string, bin: string, root: string): BuiltComponent {
  const env = goEnv(root);
  run("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", path.join(bin, "pause"), "."], "go build pause (tools/node-artifacts/pause)", {
    cwd: PAUSE_SOURCE,
    env,
  });
  return { bin, version, requested: version, binaries: ["pause"] };
}

function buildFromProxy(
  component: Exclude<GoComponent, "pause">,
  requested: string,
  src: string,
  bin: string,
  root: string,
  strict: boolean,
  log: Log,
): BuiltComponent {
  const mod = MODULES[component];
  const env = goEnv(root);
  const { version, info } = resolve(mod, requested, src, env, strict, log);
  requireGo(info.goMod, `${mod}@v${version}`);
  fs.writeFileSync(path.join(src, "go.mod"), wrapperGoMod(component, mod, version, info.goMod));
  log(`Building ${mod}@v${version}`);
  run("go", ["mod", "download"], `go mod download (${mod} dependencies)`, { cwd: src, env });
  const rev = info.hash ?? "";
  const out = bin + path.sep;
  const strip = ["-s", "-w"];
  const result: BuiltComponent = { bin, version, requested, binaries: [] };
  switch (component) {
    case "containerd": {
      // As upstream's Makefile: the version package stamped, no_btrfs since btrfs needs cgo, the shim without grpc.
      const ld = [
        ...strip,
        `-X ${mod}/version.Version=v${version}`,
        `-X ${mod}/version.Revision=${rev}`,
        `-X ${mod}/version.Package=${mod}`,
      ];
      const tags = ["urfave_cli_no_docs", "no_btrfs", "osusergo", "netgo", "static_build"];
      goBuild(src, env, out, [`${mod}/cmd/containerd`, `${mod}/cmd/ctr`], tags, ld, `go build containerd v${version}`);
      goBuild(
        src,
        env,
        out,
        [`${mod}/cmd/containerd-shim-runc-v2`],
        [...tags, "no_grpc"],
        ld,
        `go build containerd-shim-runc-v2 v${version}`,
      );
      result.binaries = [...CONTAINERD_BINARIES];
      expectOutput(path.join(bin, "containerd"), ["--version"], `v${version}`);
      break;
    }
    case "runc":
      result.linkage = buildRunc(mod, version, rev, src, bin, root, log);
      result.binaries = ["runc"];
      expectOutput(path.join(bin, "runc"), ["--version"], `runc version ${version}`);
      expectOutput(path.join(bin, "runc"), ["--version"], "libseccomp:");
      break;
    case "cniPlugins": {
      const pkgs = cniPluginPackages(mod, src, env);
      const ld = [...strip, `-X ${mod}/pkg/utils/buildversion.BuildVersion=v${version}`];
      goBuild(src, env, out, pkgs, [], ld, `go build CNI plugins v${version}`);
      result.binaries = pkgs.map((p) => p.split("/").at(-1)!).sort();
      const missing = REQUIRED_CNI_PLUGINS.filter((p) => !result.binaries.includes(p));
      if (missing.length > 0) throw new BuildError(`CNI plugins v${version} has no ${missing.join(", ")} plugin`);
      expectOutput(path.join(bin, "bridge"), [], `v${version}`);
      break;
    }
    case "crictl":
      goBuild(
        src,
        env,
        out,
        [`${mod}/cmd/crictl`],
        [],
        [...strip, `-X ${mod}/pkg/version.Version=v${version}`],
        `go build crictl v${version}`,
      );
      result.binaries = ["crictl"];
      expectOutput(path.join(bin, "crictl"), ["--version"], `v${version}`);
      break;
    case "coredns":
      goBuild(src, env, out, [mod], [], [...strip, `-X ${mod}/coremain.GitCommit=${rev.slice(0, 7)}`], `go build coredns v${version}`);
      result.binaries = ["coredns"];
      expectOutput(path.join(bin, "coredns"), ["-version"], `CoreDNS-${version}`);
      break;
  }
  return result;
}

/** Every package of plugins/{main,ipam,meta}/* that is a main package on linux (the windows plugins are not). */
function cniPluginPackages(mod: string, src: string, env: NodeJS.ProcessEnv): string[] {
  const listed = run(
    "go",
    ["list", "-mod=mod", "-e", "-f", "{{.ImportPath}} {{.Name}} {{len .GoFiles}}", `${mod}/plugins/...`],
    "go list CNI plugins",
    { cwd: src, env },
  );
  const re = new RegExp(`^${mod.replace(/[.]/g, "\\.")}/plugins/(main|ipam|meta)/[^/ ]+ main [1-9]`);
  const pkgs = listed
    .split("\n")
    .filter((l) => re.test(l))
    .map((l) => l.split(" ")[0]!);
  if (pkgs.length === 0) throw new BuildError(`go list found no CNI plugin packages in ${mod}:\n${listed}`);
  return pkgs.sort();
}

/**
 * runc with seccomp needs cgo and libseccomp. Tries, in order: static-pie (upstream's `make static`),
 * plain static, then dynamic against Debian's libseccomp2. Returns the linkage that worked.
 */
function buildRunc(mod: string, version: string, rev: string, src: string, bin: string, root: string, log: Log): string {
  if (!have("gcc") || !fs.existsSync("/usr/include/seccomp.h")) {
    throw new BuildError(
      "runc is built with seccomp support, which needs gcc and libseccomp's headers: apt-get install -y gcc libseccomp-dev (then run again)",
    );
  }
  const env = goEnv(root, true);
  const out = path.join(bin, "runc");
  const tags = ["seccomp", "urfave_cli_no_docs"];
  const ld = ["-s", "-w", `-X main.gitCommit=${rev}`];
  const attempts: [string, string[], string[], string[]][] = [
    ["static-pie", [...tags, "netgo", "osusergo"], [...ld, "-linkmode external", "-extldflags -static-pie"], ["-buildmode=pie"]],
    ["static", [...tags, "netgo", "osusergo"], [...ld, "-linkmode external", "-extldflags -static"], []],
    ["dynamic (libseccomp2)", tags, ld, ["-buildmode=pie"]],
  ];
  const errors: string[] = [];
  for (const [linkage, t, l, extra] of attempts) {
    try {
      fs.rmSync(out, { force: true });
      goBuild(src, env, out, [mod], t, l, `go build runc v${version} (${linkage})`, extra);
      run(out, ["--version"], `runc --version (${linkage})`);
      return linkage;
    } catch (e) {
      errors.push(`${linkage}: ${(e as Error).message.split("\n").slice(-3).join(" | ")}`);
      log(`  runc ${linkage} link failed; trying the next way`);
    }
  }
  throw new BuildError(`runc v${version} did not build:\n  ${errors.join("\n  ")}`);
}

function expectOutput(binary: string, args: string[], want: string): void {
  const r = spawnSync(binary, args, { encoding: "utf8", env: { ...process.env, CNI_COMMAND: "" } });
  const out = `${r.stdout}${r.stderr}`;
  if (!out.includes(want))
    throw new BuildError(
      `${path.basename(binary)} ${args.join(" ")} prints "${out.trim().split("\n")[0]}", expected it to contain "${want}": the version ldflags did not apply`,
    );
}
