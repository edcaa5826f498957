/**
 * The node image, made locally the way Packer makes the AMI (docs/local-boot.md):
 *
 * 1. a Debian root file system from Debian's packages (`debootstrap`), cached by its package list;
 * 2. a "bake" boot of a copy of it in systemd-nspawn, which runs packer/build.pkr.hcl's provisioner
 *    scripts in its order with the environment it gives them. Downloads come from the local mirror
 *    (`PKA_MIRROR_DIR`, the local builds of tools/node-artifacts), and the two steps that need the
 *    internet have named local stand-ins (`LOCAL_STEPS`). 90-verify.sh then checks the result as it
 *    checks the AMI; 99-cleanup.sh leaves it generic.
 *
 * The result is cached by everything that goes into it; each node boots a copy.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_VARIABLES, packerVariables } from "../../components/images/packer";
import { DEFAULT_VERSIONS, type PlatformVersions } from "../../components/versions/manifest";
import { cacheRoot } from "../k8s/build";
import { nspawnEnv, nspawnArgs } from "./nspawn";

export const REPO = path.resolve(__dirname, "..", "..");
const PACKER = path.join(REPO, "packer");
const LOCAL_IMAGE = path.join(__dirname, "image");

/** Debian release of the local machines (the AMI's seed is Ubuntu; both are Debian-family with systemd). */
export const DEBIAN_SUITE = "bookworm";
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";
/**
 * What debootstrap adds to minbase: systemd as init, the tools a seed image has (cloud-init and its
 * Python, the locales its locale module sets, curl, modprobe, sysctl), and python3-venv for the local AWS CLI.
 * 00-base.sh installs the rest.
 */
export const BASE_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "iproute2",
  "kmod",
  "procps",
  "cloud-init",
  "locales",
  "curl",
  "ca-certificates",
  "python3-venv",
] as const;
/** What debootstrap itself installs (it cannot resolve virtual packages, which cloud-init's Python needs); apt adds the rest. */
const DEBOOTSTRAP_INCLUDE = ["systemd", "systemd-sysv", "dbus", "iproute2"] as const;

/** Provisioner steps that need the internet, and their local stand-ins (files in tools/local-boot/image/). */
export const LOCAL_STEPS: Readonly<Record<string, string>> = {
  // AWS CLI v2 comes as a zip from awscli.amazonaws.com: the local image has the PyPI AWS CLI.
  "50-aws-cli.sh": "50-aws-cli-local.sh",
  // registry.k8s.io is unreachable: the images built from the local binaries are imported instead.
  "70-prepull.sh": "70-prepull-local.sh",
};

/** The AWS CLI (PyPI) of the local image: it honours `endpoint_url`, through which nodes reach moto. */
export const LOCAL_AWS_CLI_VERSION = "1.45.11";

export class RootfsError extends Error {}

function run(cmd: string, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    timeout: opts.timeout ?? 600_000,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new RootfsError(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new RootfsError(`${cmd} ${args.join(" ")} exited ${r.status}:\n${(r.stderr || r.stdout).slice(-4000)}`);
  return r.stdout;
}

/**
 * The provisioner scripts of the node image, in build.pkr.hcl's order: every `script`/`scripts` of
 * the shell provisioners that run for `amazon-ebs.node` (not the GPU-only ones), as file names.
 */
export function provisionerSteps(buildHcl: string): string[] {
  const steps: string[] = [];
  for (const block of buildHcl.split(/\n\s*provisioner\s+"/).slice(1)) {
    if (!block.startsWith('shell"')) continue; // file provisioners upload (lib.sh is uploaded, then sourced)
    const body = block.slice(0, block.search(/\n {2}}\n/) + 1 || undefined);
    const only = /only\s*=\s*\[([^\]]*)\]/.exec(body);
    if (only && !only[1]!.includes('"amazon-ebs.node"')) continue;
    for (const m of body.matchAll(/scripts\/([0-9A-Za-z_.-]+\.sh)"/g)) steps.push(m[1]!);
  }
  return steps;
}

/** The environment build.pkr.hcl gives the scripts (`script_env`), as `NAME=value`, from the manifest's Packer variables. */
export function scriptEnvironment(buildHcl: string, v: PlatformVersions, overrides: Record<string, string>): string[] {
  const values = new Map(packerVariables(v).map(([name, value]) => [name, value]));
  const block = /script_env\s*=\s*\[([\s\S]*?)\]/.exec(buildHcl);
  if (!block) throw new RootfsError("packer/build.pkr.hcl has no script_env");
  const out: string[] = [];
  for (const m of block[1]!.matchAll(/"([A-Z0-9_]+)=([^"]*)"/g)) {
    const name = m[1]!;
    const ref = /^\$\{var\.([a-z0-9_]+)\}$/.exec(m[2]!);
    let value = ref ? values.get(ref[1]!) : m[2]!;
    if (ref && value === undefined)
      throw new RootfsError(`script_env ${name} refers to var.${ref[1]}, which the manifest does not provide`);
    if (name in overrides) value = overrides[name]!;
    out.push(`${name}=${value}`);
  }
  for (const [k, val] of Object.entries(overrides)) if (!out.some((l) => l.startsWith(`${k}=`))) out.push(`${k}=${val}`);
  return out;
}

/** The base root file system (debootstrap), cached by suite and package list. */
export function ensureBase(log: (l: string) => void, cacheDir?: string): string {
  const key = createHash("sha256")
    .update(JSON.stringify([DEBIAN_SUITE, BASE_PACKAGES, os.release(), "en_US.UTF-8"]))
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(cacheRoot(cacheDir), "local-boot", `base-${DEBIAN_SUITE}-${key}`);
  if (fs.existsSync(path.join(dir, ".done"))) return dir;
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  log(`rootfs: debootstrap ${DEBIAN_SUITE} (${BASE_PACKAGES.join(",")})`);
  run("debootstrap", ["--variant=minbase", `--include=${DEBOOTSTRAP_INCLUDE.join(",")}`, DEBIAN_SUITE, tmp, DEBIAN_MIRROR], {
    timeout: 1_200_000,
  });
  fs.copyFileSync("/etc/resolv.conf", path.join(tmp, "etc/resolv.conf"));
  const apt = { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 1_200_000 };
  run("chroot", [tmp, "apt-get", "update", "-qq"], apt);
  run(
    "chroot",
    [
      tmp,
      "apt-get",
      "install",
      "-y",
      "-qq",
      "--no-install-recommends",
      ...BASE_PACKAGES.filter((p) => !(DEBOOTSTRAP_INCLUDE as readonly string[]).includes(p)),
    ],
    apt,
  );
  run("chroot", [tmp, "apt-get", "clean"]);
  // The locale cloud-init's locale module sets (en_US.UTF-8), generated as on the AMI's seed: without it
  // that module fails, cloud-config.service with it.
  const gen = path.join(tmp, "etc/locale.gen");
  fs.writeFileSync(gen, fs.readFileSync(gen, "utf8").replace(/^# *(en_US\.UTF-8 UTF-8)$/m, "$1"));
  run("chroot", [tmp, "locale-gen"]);
  kernelModulesStandIn(tmp);
  fs.writeFileSync(path.join(tmp, ".done"), `${new Date().toISOString()}\n`);
  fs.renameSync(tmp, dir);
  log(`rootfs: base in ${Math.round((Date.now() - started) / 1000)} s`);
  return dir;
}

/**
 * This host's kernel has overlay and br_netfilter built in and no /lib/modules: declare them as
 * built-ins for the running kernel so `modprobe overlay` succeeds, as it does on the AMI's kernel.
 */
function kernelModulesStandIn(root: string): void {
  const dir = path.join(root, "lib", "modules", os.release());
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "modules.builtin"), "kernel/fs/overlayfs/overlay.ko\nkernel/net/bridge/br_netfilter.ko\n");
  fs.writeFileSync(path.join(dir, "modules.order"), "");
  run("chroot", [root, "depmod", os.release()]);
}

export interface ImageInputs {
  /** Folder of local artifacts named as the scripts' URLs end, with SHA256SUMS (tools/node-artifacts). */
  mirrorDir: string;
  /** Folder of image archives (`*.tar`) to import. */
  imagesDir: string;
  /** The manifest the image is built for. @default DEFAULT_VERSIONS */
  versions?: PlatformVersions;
  /**
   * Versions the local builds actually have where they differ from the manifest (a version the Go
   * module proxy does not serve): the scripts get these, and 90-verify.sh checks them. @default {}
   */
  built?: Partial<PlatformVersions>;
  cacheDir?: string;
  log?: (l: string) => void;
}

function sha256Sums(mirrorDir: string): Record<string, string> {
  const text = fs.readFileSync(path.join(mirrorDir, "SHA256SUMS"), "utf8");
  return Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((l) => {
        const [sum, name] = l.split(/\s+\*?/);
        return [name!, sum!];
      }),
  );
}

/** The checksums the scripts check: those of the local artifacts (the manifest's are of the upstream downloads). */
function localChecksums(mirrorDir: string, buildHcl: string, v: PlatformVersions): Record<string, string> {
  const sums = sha256Sums(mirrorDir);
  const want: Record<string, string> = {
    KUBELET_SHA256: "kubelet",
    KUBEADM_SHA256: "kubeadm",
    KUBECTL_SHA256: "kubectl",
    CONTAINERD_SHA256: `containerd-${v.containerd}-linux-amd64.tar.gz`,
    RUNC_SHA256: "runc.amd64",
    CNI_PLUGINS_SHA256: `cni-plugins-linux-amd64-v${v.cniPlugins}.tgz`,
    CRICTL_SHA256: `crictl-v${v.crictl}-linux-amd64.tar.gz`,
    ETCD_SHA256: `etcd-v${v.etcd}-linux-amd64.tar.gz`,
  };
  const out: Record<string, string> = {};
  for (const [name, file] of Object.entries(want)) {
    if (!buildHcl.includes(`"${name}=`)) continue;
    const sum = sums[file];
    if (!sum) throw new RootfsError(`the mirror ${mirrorDir} has no ${file} in SHA256SUMS`);
    out[name] = sum;
  }
  return out;
}

function treeHash(h: ReturnType<typeof createHash>, dir: string): void {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (st.isDirectory()) treeHash(h, p);
    else h.update(name).update(String(st.size)).update(String(st.mtimeMs));
  }
}

/** The baked node image (a root file system folder), built once per input and reused. */
export function ensureNodeImage(inp: ImageInputs): string {
  const log = inp.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const v = inp.versions ?? DEFAULT_VERSIONS;
  const buildHcl = fs.readFileSync(path.join(PACKER, "build.pkr.hcl"), "utf8");
  const base = ensureBase(log, inp.cacheDir);
  const h = createHash("sha256")
    .update(base)
    .update(JSON.stringify([v, inp.built ?? {}]))
    .update(buildHcl);
  treeHash(h, path.join(PACKER, "scripts"));
  treeHash(h, LOCAL_IMAGE);
  h.update(fs.readFileSync(path.join(inp.mirrorDir, "SHA256SUMS")));
  treeHash(h, inp.imagesDir);
  const dir = path.join(cacheRoot(inp.cacheDir), "local-boot", `image-k8s-${v.kubernetes}-${h.digest("hex").slice(0, 12)}`);
  if (fs.existsSync(path.join(dir, ".done"))) return dir;

  const started = Date.now();
  const tmp = `${dir}.tmp`;
  // Half-built images of this or earlier inputs (a killed build) go first.
  for (const stale of fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith("image-") && f.endsWith(".tmp"))) {
    fs.rmSync(path.join(path.dirname(dir), stale), { recursive: true, force: true });
  }
  run("cp", ["-a", base, tmp]);
  fs.rmSync(path.join(tmp, ".done"));
  const pka = path.join(tmp, "var", "tmp", "pka");
  fs.mkdirSync(path.join(pka, "local"), { recursive: true });
  run("cp", ["-a", ...fs.readdirSync(path.join(PACKER, "scripts")).map((f) => path.join(PACKER, "scripts", f)), pka]);
  run("cp", ["-a", ...fs.readdirSync(LOCAL_IMAGE).map((f) => path.join(LOCAL_IMAGE, f)), path.join(pka, "local")]);
  run("cp", ["-a", inp.mirrorDir, path.join(pka, "mirror")]);
  run("cp", ["-a", inp.imagesDir, path.join(pka, "images")]);
  wheels(path.join(pka, "mirror", "wheels"));

  const local: Record<string, string> = {};
  for (const [field, value] of Object.entries(inp.built ?? {}) as [keyof PlatformVersions, string][]) {
    if (field === "os" || value === v[field]) continue;
    local[MANIFEST_VARIABLES[field].toUpperCase()] = value;
    log(`rootfs: ${field} ${value} instead of the manifest's ${String(v[field])} (what the local build has)`);
  }
  const effective = { ...v, ...(inp.built ?? {}) } as PlatformVersions;
  const steps = provisionerSteps(buildHcl).map((s) => (LOCAL_STEPS[s] ? `/var/tmp/pka/local/${LOCAL_STEPS[s]}` : `/var/tmp/pka/${s}`));
  fs.writeFileSync(path.join(pka, "steps"), `${steps.join("\n")}\n`);
  const env = scriptEnvironment(buildHcl, v, {
    ...local,
    ...localChecksums(inp.mirrorDir, buildHcl, effective),
    AWS_CLI_VERSION: LOCAL_AWS_CLI_VERSION,
    PKA_MIRROR_DIR: "/var/tmp/pka/mirror",
    PKA_IMAGES_DIR: "/var/tmp/pka/images",
  });
  fs.writeFileSync(path.join(pka, "bake.env"), `${env.join("\n")}\n`);
  // The bake runs once at boot, then powers the machine off; cloud-init stays out of it (it runs on every node's first boot).
  fs.writeFileSync(
    path.join(tmp, "etc/systemd/system/pka-bake.service"),
    `[Unit]
Description=Local image build (packer/build.pkr.hcl's provisioners)
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/bin/bash /var/tmp/pka/local/bake.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=1800
`,
  );
  fs.symlinkSync("/etc/systemd/system/pka-bake.service", path.join(tmp, "etc/systemd/system/multi-user.target.wants/pka-bake.service"));
  fs.mkdirSync(path.join(tmp, "etc", "cloud"), { recursive: true });
  fs.writeFileSync(path.join(tmp, "etc/cloud/cloud-init.disabled"), "");

  log(`rootfs: baking the node image (${steps.map((s) => path.basename(s)).join(", ")})`);
  // The bake machine uses the host's network (00-base.sh installs Debian packages).
  const r = spawnSync("systemd-nspawn", [...nspawnArgs({ root: tmp, machine: "pka-bake" }), "--console=pipe"], {
    encoding: "utf8",
    env: nspawnEnv(),
    timeout: 1_800_000,
    maxBuffer: 256 << 20,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const result = fs.existsSync(path.join(tmp, "var/lib/pka-bake/result"))
    ? fs.readFileSync(path.join(tmp, "var/lib/pka-bake/result"), "utf8").trim()
    : "no result";
  const journal = spawnSync("journalctl", ["-D", path.join(tmp, "var/log/journal"), "-u", "pka-bake", "--no-pager", "-o", "cat"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  // The build's log stays beside the image (what 90-verify.sh checked, line by line).
  fs.writeFileSync(`${dir}.bake.log`, journal.stdout || r.stdout + r.stderr);
  if (result !== "ok") {
    throw new RootfsError(
      `the local image build failed (${result}); its log ends (all of it: ${dir}.bake.log):\n${(journal.stdout || r.stdout + r.stderr).split("\n").slice(-60).join("\n")}`,
    );
  }
  fs.rmSync(path.join(tmp, "etc/systemd/system/multi-user.target.wants/pka-bake.service"));
  fs.rmSync(path.join(tmp, "etc/systemd/system/pka-bake.service"));
  fs.rmSync(path.join(tmp, "etc/cloud/cloud-init.disabled"));
  fs.rmSync(path.join(tmp, "var/lib/pka-bake"), { recursive: true, force: true });
  fs.rmSync(path.join(tmp, "var/log/journal"), { recursive: true, force: true });
  fs.writeFileSync(path.join(tmp, ".done"), `${new Date().toISOString()}\n`);
  fs.renameSync(tmp, dir);
  // One image per cache: earlier inputs' images (1-2 GB each) go.
  for (const old of fs
    .readdirSync(path.dirname(dir))
    .filter((f) => f.startsWith("image-") && path.join(path.dirname(dir), f) !== dir && !f.startsWith(path.basename(dir)))) {
    fs.rmSync(path.join(path.dirname(dir), old), { recursive: true, force: true });
  }
  log(`rootfs: node image baked in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
  return dir;
}

/** Wheels of the local AWS CLI for the image's Python (PyPI, through the host's pip). */
function wheels(dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  run(
    "python3",
    [
      "-m",
      "pip",
      "download",
      "--quiet",
      "--only-binary=:all:",
      "--python-version",
      "3.11",
      "--platform",
      "manylinux2014_x86_64",
      "-d",
      dest,
      `awscli==${LOCAL_AWS_CLI_VERSION}`,
    ],
    { timeout: 600_000 },
  );
}
