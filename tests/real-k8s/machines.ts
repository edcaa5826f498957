/**
 * Machines on one host, for tests that run a real control plane: a "VPC" (a network namespace with a
 * bridge) and, per machine, its own network namespace plugged into that bridge (an `eth0` with the
 * machine's private address and a default route, so kubeadm detects the node address as on EC2; its
 * own loopback, so two machines may both listen on 127.0.0.1:2381), its own hostname (the node name),
 * and its own mount namespace in which the machine's folders are bind-mounted over /etc/kubernetes, /var/lib/etcd, /var/lib/kubelet and
 * the rest, and its own /etc/hosts resolves the cluster's private names (the API name, etcd member
 * names) the way the private hosted zone does. Rendered files keep their real paths and addresses:
 * nothing is rewritten.
 *
 * Needs root (unshare, nsenter, mount: util-linux; ip: iproute2). The mount points are created on
 * the host as empty folders when missing; everything written lands in a temporary folder.
 * `stopAll()` kills every process a machine started and the namespaces, pass or fail.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

/** Folders each machine has of its own (bind-mounted over the host's). */
export const MACHINE_DIRS = [
  "/etc/kubernetes",
  "/etc/kubeadm-aws",
  "/etc/etcd",
  "/var/lib/etcd",
  "/var/lib/kubelet",
  "/var/log/kubernetes",
  "/usr/local/sbin",
  "/run/containerd",
  "/var/lib/containerd",
] as const;

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

const started: { kill: () => void }[] = [];
/** Holder pids of every machine's mount namespace. */
const machines: number[] = [];

function sh(cmd: string, args: string[], timeout = 30_000): RunResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function holder(args: string[]): ChildProcess {
  const p = spawn(args[0]!, args.slice(1), { stdio: "ignore", detached: false });
  started.push({ kill: () => p.kill("SIGKILL") });
  return p;
}

async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether this host can run machines (root, unshare, nsenter, ip), with the reason when not. */
export function machineSupport(): string | undefined {
  if (process.getuid?.() !== 0)
    return "the real control-plane tests need root (network and mount namespaces); run the test command as root or with sudo";
  for (const c of ["unshare", "nsenter", "ip", "mount"]) {
    if (sh("sh", ["-c", `command -v ${c}`]).status !== 0) return `${c} is missing (util-linux / iproute2; scripts/test.sh installs them)`;
  }
  return undefined;
}

/** The VPC: a network namespace holding a bridge that every machine's interface is plugged into. */
export class Vpc {
  readonly pid: number;
  private ports = 0;

  private constructor(pid: number) {
    this.pid = pid;
  }

  static async create(): Promise<Vpc> {
    const problem = machineSupport();
    if (problem) throw new Error(problem);
    const p = holder(["unshare", "--net", "--", "sleep", "infinity"]);
    const vpc = new Vpc(p.pid!);
    await waitFor(() => nsOf(vpc.pid, "net") !== nsOf(process.pid, "net"), "the VPC network namespace");
    vpc.net(["sh", "-c", "ip link set lo up && ip link add vpc0 type bridge && ip link set vpc0 up"]);
    return vpc;
  }

  /** Runs a command in the VPC's network namespace (host mounts). */
  net(args: string[]): string {
    return must("nsenter", ["-t", String(this.pid), "-n", "--", ...args]);
  }

  /** Plugs machine `pid` into the bridge as its `eth0`, with its addresses and a default route. */
  plug(pid: number, ips: string[]): void {
    const n = this.ports++;
    this.net([
      "sh",
      "-c",
      `ip link add p${n} type veth peer name m${n} && ip link set m${n} netns ${pid} && ip link set p${n} master vpc0 && ip link set p${n} up`,
    ]);
    must("nsenter", [
      "-t",
      String(pid),
      "-n",
      "--",
      "sh",
      "-c",
      [
        "ip link set lo up",
        `ip link set m${n} name eth0`,
        ...ips.map((ip) => `ip addr add ${ip}/32 dev eth0`),
        "ip link set eth0 up",
        "ip route add default dev eth0",
        "sysctl -qw net.ipv4.ip_forward=1",
      ].join(" && "),
    ]);
  }
}

function nsOf(pid: number, kind: "net" | "mnt"): string {
  return sh("readlink", [`/proc/${pid}/ns/${kind}`]).stdout.trim();
}

export interface MachineOptions {
  /** Private address(es): the first is the machine's own. */
  ips: string[];
  /** Lines of the machine's /etc/hosts after localhost, e.g. `10.0.1.10 api.dev.example`. */
  hosts: string[];
}

export class Machine {
  readonly name: string;
  readonly root: string;
  readonly pid: number;
  readonly ip: string;
  private readonly procs: ChildProcess[] = [];

  private constructor(name: string, root: string, pid: number, ip: string) {
    this.name = name;
    this.root = root;
    this.pid = pid;
    this.ip = ip;
  }

  static async create(vpc: Vpc, name: string, o: MachineOptions): Promise<Machine> {
    const root = mkdtempSync(path.join(tmpdir(), `machine-${name}-`));
    const p = holder(["unshare", "--net", "--mount", "--uts", "--propagation", "private", "--", "sleep", "infinity"]);
    const m = new Machine(name, root, p.pid!, o.ips[0]!);
    machines.push(m.pid);
    await waitFor(
      () => nsOf(m.pid, "mnt") !== nsOf(process.pid, "mnt") && nsOf(m.pid, "net") !== nsOf(process.pid, "net"),
      `machine ${name}'s namespaces`,
    );
    vpc.plug(m.pid, o.ips);
    const mounts: string[] = [];
    for (const d of MACHINE_DIRS) {
      mkdirSync(path.join(root, d), { recursive: true });
      if (!existsSync(d)) mkdirSync(d, { recursive: true });
      mounts.push(`mount --bind ${path.join(root, d)} ${d}`);
    }
    writeFileSync(path.join(root, "hosts"), ["127.0.0.1 localhost", `${o.ips[0]} ${name}`, ...o.hosts, ""].join("\n"));
    mounts.push(`mount --bind ${path.join(root, "hosts")} /etc/hosts`);
    // The node name is the hostname, as on EC2 (the boot sets it to the private DNS name).
    mounts.push(`hostname ${name}`);
    must("nsenter", ["-t", String(m.pid), "-m", "-u", "--", "sh", "-c", mounts.join(" && ")]);
    return m;
  }

  /** The host path of a file inside this machine (under one of MACHINE_DIRS). */
  file(p: string): string {
    if (!MACHINE_DIRS.some((d) => p === d || p.startsWith(`${d}/`)))
      throw new Error(`${p} is not in a machine folder (${MACHINE_DIRS.join(", ")})`);
    return path.join(this.root, p);
  }

  /** Runs a command inside and fails with its output when it fails. */
  must(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
    const r = this.run(cmd, args, o);
    if (r.status !== 0) throw new Error(`${this.name}: ${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Writes a file inside the machine with its mode. */
  write(p: string, content: string, mode = 0o644): void {
    const target = this.file(p);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content, { mode });
  }

  read(p: string): string {
    return readFileSync(this.file(p), "utf8");
  }

  private nsArgs(): string[] {
    return ["-t", String(this.pid), "-n", "-m", "-u", "--"];
  }

  /** Runs a command to completion inside the machine. */
  run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeout?: number; input?: string } = {}): RunResult {
    const r = spawnSync("nsenter", [...this.nsArgs(), cmd, ...args], {
      encoding: "utf8",
      env: { ...process.env, ...o.env },
      timeout: o.timeout ?? 60_000,
      input: o.input,
    });
    if (r.error) throw new Error(`${cmd} could not run in ${this.name}: ${r.error.message}`);
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Same, asynchronously (for commands that wait on something the test must do meanwhile). */
  runAsync(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const p = spawn("nsenter", [...this.nsArgs(), cmd, ...args], {
        env: { ...process.env, ...o.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.procs.push(p);
      let stdout = "";
      let stderr = "";
      p.stdout!.on("data", (d) => (stdout += d));
      p.stderr!.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => p.kill("SIGKILL"), o.timeout ?? 300_000);
      p.on("close", (code) => {
        clearTimeout(timer);
        resolve({ status: code ?? -1, stdout, stderr });
      });
    });
  }

  /** Starts a long-running process inside the machine, its output in `<root>/logs/<name>.log`. */
  start(logName: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    mkdirSync(path.join(this.root, "logs"), { recursive: true });
    const log = openSync(this.logPath(logName), "a");
    const p = spawn("nsenter", [...this.nsArgs(), cmd, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
    closeSync(log);
    this.procs.push(p);
    started.push({ kill: () => p.kill("SIGKILL") });
    return p;
  }

  logPath(logName: string): string {
    return path.join(this.root, "logs", `${logName}.log`);
  }

  log(logName: string): string {
    return existsSync(this.logPath(logName)) ? readFileSync(this.logPath(logName), "utf8") : "";
  }

  /** Stops what this machine started (SIGTERM, then SIGKILL), and anything else left in its namespace. */
  async stop(): Promise<void> {
    for (const p of this.procs) if (p.exitCode === null) p.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    for (const p of this.procs) if (p.exitCode === null) p.kill("SIGKILL");
    killNamespace(this.pid, false);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** SIGKILLs every process sharing the mount namespace of `pid` (children a process left behind), and `pid` too if asked. */
function killNamespace(pid: number, includeHolder: boolean): void {
  let ns: string;
  try {
    ns = sh("readlink", [`/proc/${pid}/ns/mnt`]).stdout.trim();
  } catch {
    return;
  }
  if (ns === "" || ns === sh("readlink", ["/proc/self/ns/mnt"]).stdout.trim()) return;
  const r = sh("sh", ["-c", `for p in /proc/[0-9]*; do [ "$(readlink $p/ns/mnt 2>/dev/null)" = "${ns}" ] && echo \${p#/proc/}; done`]);
  for (const line of r.stdout.split("\n")) {
    const other = Number(line.trim());
    if (!other || (other === pid && !includeHolder)) continue;
    try {
      process.kill(other, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** Kills every process any machine or VPC started (call from afterAll). */
export function stopAll(): void {
  for (const m of machines.splice(0)) killNamespace(m, true);
  for (const s of started.splice(0)) {
    try {
      s.kill();
    } catch {
      /* already gone */
    }
  }
}
