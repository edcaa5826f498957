/**
 * The root filesystems of the local container images, staged as directories (then tarred by
 * images.ts): a few base directories and files, the image's binaries, and for kube-proxy the host's
 * Debian iptables (nft backend) with every shared library it loads, for busybox Debian's
 * busybox-static with its applet links.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BuildError, copyFile, run } from "./common";

/** PATH of every image (kubeadm's static Pods name their command without a path). */
export const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The iptables commands kube-proxy (iptables mode) runs, all links to xtables-nft-multi. */
export const IPTABLES_COMMANDS = [
  "iptables",
  "iptables-save",
  "iptables-restore",
  "ip6tables",
  "ip6tables-save",
  "ip6tables-restore",
  "iptables-nft",
  "iptables-nft-save",
  "iptables-nft-restore",
  "ip6tables-nft",
  "ip6tables-nft-save",
  "ip6tables-nft-restore",
] as const;

const XTABLES = "/usr/sbin/xtables-nft-multi";
const XTABLES_EXTENSIONS = "/usr/lib/x86_64-linux-gnu/xtables";
const CONNTRACK = "/usr/sbin/conntrack";
const BUSYBOX = "/bin/busybox";

function mkdir(root: string, rel: string, mode = 0o755): void {
  let cur = root;
  for (const part of rel.split("/").filter(Boolean)) {
    cur = path.join(cur, part);
    if (!fs.existsSync(cur)) {
      fs.mkdirSync(cur);
      fs.chmodSync(cur, 0o755);
    }
  }
  fs.chmodSync(cur, mode);
}

function write(root: string, rel: string, content: string, mode = 0o644): void {
  mkdir(root, path.posix.dirname(rel));
  fs.writeFileSync(path.join(root, rel), content);
  fs.chmodSync(path.join(root, rel), mode);
}

function symlink(root: string, rel: string, target: string): void {
  mkdir(root, path.posix.dirname(rel));
  fs.rmSync(path.join(root, rel), { force: true });
  fs.symlinkSync(target, path.join(root, rel));
}

/** A fresh root with the directories and files every image has (mount points runc expects, /tmp, passwd). */
export function baseRootfs(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  fs.chmodSync(root, 0o755);
  for (const d of ["dev", "proc", "sys", "etc", "run", "var"]) mkdir(root, d);
  mkdir(root, "tmp", 0o1777);
  write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  write(root, "etc/group", "root:x:0:\nnogroup:x:65534:\n");
}

/** Copies binaries into `dir` (relative to the root) under their own names. */
export function addBinaries(root: string, fromDir: string, names: readonly string[], dir: string): void {
  mkdir(root, dir);
  for (const n of names) copyFile(path.join(fromDir, n), path.join(root, dir, n));
}

/** Copies a single binary to a path in the root. */
export function addBinary(root: string, from: string, rel: string): void {
  mkdir(root, path.posix.dirname(rel));
  copyFile(from, path.join(root, rel));
}

/** The shared libraries `ldd` lists for an ELF file (absolute paths as the loader resolves them). */
export function lddLibraries(file: string): string[] {
  const r = spawnSync("ldd", [file], { encoding: "utf8" });
  if (r.status !== 0) {
    if (/not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`)) return [];
    throw new BuildError(`ldd ${file} failed: ${(r.stderr || r.stdout).trim()}`);
  }
  return parseLdd(r.stdout);
}

/** Paths from `ldd` output: `name => /path (addr)` and `/path (addr)` lines; not-found libraries are errors. Pure. */
export function parseLdd(out: string): string[] {
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    if (/=>\s*not found/.test(line)) throw new BuildError(`a library is missing: ${line.trim()}`);
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/**
 * Copies a host file to the same path in the root (through the root's own merged-/usr links), the
 * content of the real file under the path's name; when the path's name differs from its target's
 * (a soname link), both exist, the name as a link.
 */
function copyHostPath(root: string, hostPath: string, mode: number): void {
  const real = fs.realpathSync(hostPath);
  const realDir = fs.realpathSync(path.dirname(hostPath));
  mkdir(root, realDir);
  const dest = path.join(root, realDir, path.basename(real));
  if (!fs.existsSync(dest)) copyFile(real, dest, mode);
  if (path.basename(hostPath) !== path.basename(real) && path.dirname(real) === realDir)
    symlink(root, path.posix.join(realDir, path.basename(hostPath)), path.basename(real));
  else if (path.basename(hostPath) !== path.basename(real)) copyFile(real, path.join(root, realDir, path.basename(hostPath)), mode);
}

/** Debian's merged /usr: /bin, /sbin, /lib and /lib64 are links into /usr, so loader paths resolve. */
function mergedUsr(root: string): void {
  for (const d of ["usr/bin", "usr/sbin", "usr/lib", "usr/lib64"]) mkdir(root, d);
  for (const d of ["bin", "sbin", "lib", "lib64"]) symlink(root, d, `usr/${d}`);
}

/**
 * The host's iptables (nft backend) and conntrack, with their libraries and the xtables extension
 * modules, so `iptables`, `iptables-save`, `iptables-restore` and the ip6tables ones run from PATH.
 */
export function addIptables(root: string): void {
  if (!fs.existsSync(XTABLES) || !fs.existsSync(XTABLES_EXTENSIONS)) {
    throw new BuildError(
      `the kube-proxy image copies the host's iptables (nft backend), and ${XTABLES} is missing: apt-get install -y iptables conntrack (then run again)`,
    );
  }
  mergedUsr(root);
  const elves = [
    XTABLES,
    ...fs
      .readdirSync(XTABLES_EXTENSIONS)
      .filter((f) => f.endsWith(".so"))
      .map((f) => path.join(XTABLES_EXTENSIONS, f)),
  ];
  if (fs.existsSync(CONNTRACK)) elves.push(CONNTRACK);
  const libs = new Set<string>();
  for (const e of elves) for (const l of lddLibraries(e)) libs.add(l);
  for (const l of [...libs].sort()) copyHostPath(root, l, 0o755);
  copyHostPath(root, XTABLES, 0o755);
  for (const f of fs.readdirSync(XTABLES_EXTENSIONS).sort()) {
    const p = path.join(XTABLES_EXTENSIONS, f);
    if (fs.lstatSync(p).isSymbolicLink()) symlink(root, path.posix.join(XTABLES_EXTENSIONS, f), fs.readlinkSync(p));
    else copyHostPath(root, p, 0o644);
  }
  for (const c of IPTABLES_COMMANDS) symlink(root, `usr/sbin/${c}`, "xtables-nft-multi");
  if (fs.existsSync(CONNTRACK)) copyHostPath(root, CONNTRACK, 0o755);
  for (const f of ["/etc/protocols", "/etc/services"]) if (fs.existsSync(f)) copyFile(f, path.join(root, f), 0o644);
}

/** Runs a command of the staged root in a chroot (as root), in a network namespace of its own. */
export function chrootRun(root: string, args: string[], what: string, input?: string): string {
  return run("unshare", ["-n", "chroot", root, ...args], what, { env: { PATH: IMAGE_PATH }, input });
}

/** Proves the iptables of an unpacked kube-proxy layer work: version (nft backend), save, restore. */
export function verifyIptables(root: string): string {
  const version = chrootRun(root, ["iptables", "--version"], "chroot <kube-proxy layer> iptables --version").trim();
  if (!version.includes("nf_tables")) throw new BuildError(`the kube-proxy layer's iptables is not the nft backend: ${version}`);
  chrootRun(root, ["iptables-save"], "chroot <kube-proxy layer> iptables-save");
  chrootRun(root, ["ip6tables-save"], "chroot <kube-proxy layer> ip6tables-save");
  chrootRun(
    root,
    ["iptables-restore", "--noflush"],
    "chroot <kube-proxy layer> iptables-restore",
    "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -p tcp -m comment --comment probe -j RETURN\nCOMMIT\n",
  );
  return version;
}

/** Debian's busybox-static as /bin/busybox, every applet a link to it. Returns the applets. */
export function addBusybox(root: string): string[] {
  if (!fs.existsSync(BUSYBOX))
    throw new BuildError(
      `the test image carries Debian's busybox-static, and ${BUSYBOX} is missing: apt-get install -y busybox-static (then run again)`,
    );
  if (lddLibraries(BUSYBOX).length > 0)
    throw new BuildError(`${BUSYBOX} is dynamically linked; the test image needs Debian's busybox-static, not busybox`);
  addBinary(root, BUSYBOX, "bin/busybox");
  const applets = run(BUSYBOX, ["--list"], "busybox --list")
    .split("\n")
    .map((a) => a.trim())
    .filter((a) => /^[\w.[-]+$/.test(a) && a !== "busybox");
  for (const a of applets) symlink(root, `bin/${a}`, "busybox");
  return applets;
}
