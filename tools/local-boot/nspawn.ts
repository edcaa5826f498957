/**
 * Machines as systemd-nspawn containers booting systemd (docs/local-boot.md, "The machines"). What this
 * host needs for them, each for a reason seen here:
 * - `--register=no --keep-unit`: no systemd runs on the host, so there is no machined to register with;
 * - `--capability=all --bind=/sys/fs/cgroup`: containerd and the kubelet create cgroups (cgroup v1 host);
 * - `SYSTEMD_SECCOMP=0`: runc needs the keyring calls nspawn's filter denies;
 * - `SYSTEMD_NSPAWN_API_VFS_WRITABLE=1`: the node's boot writes the kubelet's kernel settings (sysctl --system);
 * - `--bind=/dev/kmsg`: the kubelet's OOM watcher reads it;
 * - a tmpfs on /run/systemd/nspawn: nspawn keeps its propagation folder there and refuses a disk.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";

export interface NspawnOptions {
  /** Root file system folder. */
  root: string;
  /** Machine name (nspawn's, also the default hostname before the boot sets the node name). */
  machine: string;
  /** A network namespace (`/run/netns/NAME`); without it the machine shares the host's network. */
  netns?: string;
  /** More `--bind=` sources (`HOST[:CONTAINER]`). */
  binds?: string[];
}

export function nspawnEnv(): NodeJS.ProcessEnv {
  prepareHost();
  return { ...process.env, SYSTEMD_SECCOMP: "0", SYSTEMD_NSPAWN_API_VFS_WRITABLE: "1" };
}

/** The arguments of one booting machine. */
export function nspawnArgs(o: NspawnOptions): string[] {
  return [
    "--quiet",
    "-D",
    o.root,
    "--boot",
    "--register=no",
    "--keep-unit",
    "--capability=all",
    "--bind=/sys/fs/cgroup",
    "--bind=/dev/kmsg",
    "--resolv-conf=off",
    `--machine=${o.machine}`,
    ...(o.netns ? [`--network-namespace-path=${o.netns}`] : []),
    ...(o.binds ?? []).map((b) => `--bind=${b}`),
  ];
}

/** The cgroup (on every v1 hierarchy) a machine runs in. */
export function cgroupName(machine: string): string {
  return `pka/${machine}`;
}

/** Shell: create $PKA_CGROUP on every mounted hierarchy (cpuset needs its cpus and mems) and move this shell into it. */
const ENTER_CGROUP = [
  "for h in /sys/fs/cgroup/*/; do",
  '  d="$h$PKA_CGROUP"; mkdir -p "$d"',
  '  if [ -f "$h/cpuset.cpus" ]; then cat "$h/cpuset.cpus" >"$h/pka/cpuset.cpus" 2>/dev/null; cat "$h/cpuset.mems" >"$h/pka/cpuset.mems" 2>/dev/null;',
  '    cat "$h/cpuset.cpus" >"$d/cpuset.cpus"; cat "$h/cpuset.mems" >"$d/cpuset.mems"; fi',
  '  echo $$ >"$d/cgroup.procs"',
  "done",
].join("\n");

/** Removes a stopped machine's cgroups (deepest first); what still has tasks stays. */
export function removeCgroups(machine: string): void {
  for (const h of fs.readdirSync("/sys/fs/cgroup")) {
    const top = `/sys/fs/cgroup/${h}/${cgroupName(machine)}`;
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(`${d}/${e.name}`);
    };
    walk(top);
    for (const d of dirs.reverse())
      try {
        fs.rmdirSync(d);
      } catch {
        /* busy */
      }
  }
}

/** Machine cgroups that exist (none after a run). Reads only. */
export function leftCgroups(): string[] {
  const out: string[] = [];
  for (const h of fs.readdirSync("/sys/fs/cgroup")) {
    const top = `/sys/fs/cgroup/${h}/pka`;
    if (fs.existsSync(top)) for (const e of fs.readdirSync(top, { withFileTypes: true })) if (e.isDirectory()) out.push(`${top}/${e.name}`);
  }
  return out;
}

/** systemd-nspawn processes of local machines still running (none after a run). */
export function leftMachines(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (cmd[0]?.endsWith("systemd-nspawn") && cmd.some((a) => a.includes("/pka-boot-"))) out.push(`systemd-nspawn pid ${pid}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Removes every machine cgroup left (a killed run's); the ones that still hold tasks stay and are returned. */
export function removeAllCgroups(): string[] {
  const busy: string[] = [];
  for (const h of fs.readdirSync("/sys/fs/cgroup")) {
    const top = `/sys/fs/cgroup/${h}/pka`;
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(`${d}/${e.name}`);
    };
    walk(top);
    for (const d of dirs.reverse())
      try {
        fs.rmdirSync(d);
      } catch {
        busy.push(d);
      }
  }
  return busy;
}

let prepared = false;
function prepareHost(): void {
  if (prepared) return;
  fs.mkdirSync("/run/systemd/nspawn", { recursive: true });
  if (spawnSync("mountpoint", ["-q", "/run/systemd/nspawn"]).status !== 0) {
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run/systemd/nspawn"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cannot mount a tmpfs on /run/systemd/nspawn: ${r.stderr}`);
  }
  prepared = true;
}

/** A booted machine: its nspawn process, console log, and commands run inside it. */
export class Machine {
  private proc?: ChildProcess;
  private exited?: Promise<number>;

  constructor(
    readonly opts: NspawnOptions,
    readonly consoleLog: string,
  ) {}

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  boot(): void {
    if (this.running) throw new Error(`${this.opts.machine} is already running`);
    const out = fs.openSync(this.consoleLog, "a");
    fs.writeSync(out, `\n===== boot ${new Date().toISOString()} =====\n`);
    // Each machine in its own cgroup on every hierarchy: with --keep-unit nspawn puts its payload
    // below the cgroup it runs in, and two machines in one cgroup would share (and remove) it.
    const p = spawn("sh", ["-c", `${ENTER_CGROUP} && exec systemd-nspawn "$@"`, "sh", ...nspawnArgs(this.opts), "--console=pipe"], {
      env: { ...nspawnEnv(), PKA_CGROUP: cgroupName(this.opts.machine) },
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    this.proc = p;
    this.exited = new Promise((resolve) =>
      p.on("exit", (code, sig) => {
        removeCgroups(this.opts.machine);
        resolve(code ?? (sig ? 128 : -1));
      }),
    );
  }

  /** PID (on the host) of the machine's init, for nsenter. */
  initPid(): number {
    const pid = this.proc?.pid;
    if (!pid || !this.running) throw new Error(`${this.opts.machine} is not running`);
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    const child = children.map(Number).find((c) => {
      try {
        return fs.readlinkSync(`/proc/${c}/ns/pid`) !== fs.readlinkSync("/proc/self/ns/pid");
      } catch {
        return false;
      }
    });
    if (child === undefined) throw new Error(`${this.opts.machine}: the machine's init is not up yet`);
    return child;
  }

  /** Runs a command inside the machine (all its namespaces). */
  exec(cmd: string[], timeout = 60_000): { status: number; stdout: string; stderr: string } {
    let pid: number;
    try {
      pid = this.initPid();
    } catch (e) {
      return { status: -1, stdout: "", stderr: (e as Error).message };
    }
    const r = spawnSync("nsenter", ["-t", String(pid), "-m", "-u", "-i", "-n", "-p", "--", ...cmd], {
      encoding: "utf8",
      timeout,
      maxBuffer: 64 << 20,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error ? r.error.message : ""}` };
  }

  /** The machine's journal (persistent, in its root), e.g. of one unit. */
  journal(args: string[] = []): string {
    const r = spawnSync("journalctl", ["-D", `${this.opts.root}/var/log/journal`, "--no-pager", ...args], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    return r.stdout ?? "";
  }

  /** Orderly shutdown (`poweroff` inside), then SIGKILL after `ms`. */
  async stop(ms = 30_000): Promise<void> {
    if (!this.running) return;
    try {
      this.exec(["systemctl", "poweroff", "--no-block"], 10_000);
    } catch {
      /* not up yet */
    }
    const done = await Promise.race([this.exited!, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
    if (done === undefined) await this.kill();
  }

  /** Pulls the plug: the machine stops at once, as an instance that is terminated. */
  async kill(): Promise<void> {
    if (!this.running) return;
    // Killing the container's init ends its whole PID namespace; nspawn then exits.
    try {
      process.kill(this.initPid(), "SIGKILL");
    } catch {
      /* already gone */
    }
    const done = await Promise.race([this.exited!, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    if (done === undefined) {
      this.proc!.kill("SIGKILL");
      await this.exited;
    }
  }
}
