/**
 * The node artifacts at work: every image imported into a throwaway containerd (the one built here,
 * from the mirror) that then runs containers with the built runc, and the pause image's process as a
 * PID namespace's init.
 *
 * Runs as root (unshare, containerd). The first run builds everything (minutes); later runs reuse the cache.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { ensureNodeArtifacts, type NodeArtifacts } from "../../tools/node-artifacts/build";
import { BUILD_TIMEOUT, readArchive, sh } from "./node-artifacts-fixtures";

let r: NodeArtifacts;

beforeAll(() => {
  r = ensureNodeArtifacts({ log: () => undefined });
}, BUILD_TIMEOUT);

describe("a throwaway containerd (built here, installed from the mirror) imports every image and runs them", () => {
  let dir: string;
  let daemon: ChildProcess;
  let sock: string;
  let bin: string;
  const ctr = (args: string[]) =>
    spawnSync(path.join(bin, "ctr"), ["--address", sock, "-n", "k8s.io", ...args], { encoding: "utf8", timeout: 60_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "pka-containerd-"));
    bin = path.join(dir, "bin");
    mkdirSync(bin);
    spawnSync("tar", ["-C", dir, "-xzf", path.join(r.mirrorDir, r.files.containerd)]);
    spawnSync("install", ["-m", "0755", path.join(r.mirrorDir, r.files.runc), path.join(bin, "runc")]);
    sock = path.join(dir, "containerd.sock");
    const config = [
      "version = 3",
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]',
      "[grpc]",
      `  address = "${sock}"`,
      "",
    ].join("\n");
    writeFileSync(path.join(dir, "config.toml"), config);
    daemon = spawn(path.join(bin, "containerd"), ["--config", path.join(dir, "config.toml"), "--log-level", "warn"], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      stdio: "ignore",
    });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((res) => setTimeout(res, 100));
  }, 30_000);

  afterAll(() => {
    daemon?.kill("SIGTERM");
    spawnSync("sh", ["-c", `grep ' ${dir}/' /proc/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("ctr images import (pinned) accepts every archive, and lists each name with the pin label", () => {
    expect(existsSync(sock)).toBe(true);
    for (const img of r.images) {
      const res = ctr(["images", "import", "--label=io.cri-containerd.pinned=pinned", img.file]);
      expect({ file: path.basename(img.file), status: res.status, err: res.status === 0 ? "" : res.stderr }).toEqual({
        file: path.basename(img.file),
        status: 0,
        err: "",
      });
    }
    const listed = ctr(["images", "ls"]);
    expect(listed.status).toBe(0);
    for (const img of r.images) {
      const line = listed.stdout.split("\n").find((l) => l.startsWith(`${img.ref} `));
      expect({ ref: img.ref, line }).toEqual({ ref: img.ref, line: expect.stringContaining("io.cri-containerd.pinned=pinned") });
      expect(line).toContain("linux/amd64");
    }
  }, 180_000);

  test("containers run with the built runc: busybox under seccomp, kube-proxy's iptables, etcd and coredns report their versions", () => {
    const run = (ref: string, id: string, args: string[], extra: string[] = []) => {
      const res = ctr(["run", "--rm", ...extra, ref, id, ...args]);
      return `${res.stdout}${res.stderr}`;
    };
    const busybox = r.images.find((i) => i.role === "busybox")!.ref;
    expect(run(busybox, "t-seccomp", ["sh", "-c", "grep ^Seccomp: /proc/self/status; echo ok"], ["--seccomp"])).toMatch(
      /Seccomp:\s+2\s+ok/,
    );
    const proxy = `registry.k8s.io/kube-proxy:v${r.versions.kubernetes}`;
    expect(run(proxy, "t-iptables", ["iptables", "--version"])).toContain("(nf_tables)");
    expect(run(proxy, "t-proxy", ["kube-proxy", "--version"])).toContain(`Kubernetes v${r.versions.kubernetes}`);
    expect(run(`registry.k8s.io/etcd:${r.versions.etcd}-0`, "t-etcd", ["etcd", "--version"])).toContain(`etcd Version: ${r.versions.etcd}`);
    expect(run(`registry.k8s.io/coredns/coredns:v${r.versions.coredns}`, "t-coredns", ["/coredns", "-version"])).toContain(
      `CoreDNS-${r.versions.coredns}`,
    );
  }, 120_000);

  test("the pause image's process runs until SIGTERM, then exits 0", async () => {
    const ref = `registry.k8s.io/pause:${r.versions.pause}`;
    expect(ctr(["run", "-d", ref, "t-pause", "/pause"]).status).toBe(0);
    await new Promise((res) => setTimeout(res, 500));
    expect(ctr(["tasks", "ls"]).stdout).toMatch(/t-pause\s+\d+\s+RUNNING/);
    expect(ctr(["tasks", "kill", "-s", "SIGTERM", "t-pause"]).status).toBe(0);
    let status = "";
    for (let i = 0; i < 50 && !status.includes("STOPPED"); i++) {
      await new Promise((res) => setTimeout(res, 100));
      status = ctr(["tasks", "ls"]).stdout;
    }
    expect(status).toMatch(/t-pause\s+\d+\s+STOPPED/);
    const del = ctr(["tasks", "delete", "t-pause"]);
    expect(del.status).toBe(0);
    expect(del.stdout + del.stderr).not.toContain("non-zero exit code"); // what ctr says of a task that exited non-zero
    ctr(["containers", "delete", "t-pause"]);
  }, 60_000);
});

test("pause (from its image's layer), as PID 1 of a PID namespace, reaps orphaned children and exits 0 on SIGTERM", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pka-pause-"));
  try {
    const img = r.images.find((i) => i.role === "pause")!;
    const layer = readArchive(img.file).manifest[0]!.Layers[0]!;
    expect(sh(`tar -xOf '${img.file}' '${layer}' | tar -x -C '${dir}' ./pause`).status).toBe(0);
    const u = spawn("unshare", ["--pid", "--fork", "--kill-child", path.join(dir, "pause")], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    u.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    // "close", not "exit": it fires only after stderr has been read to its end, so the message is in `stderr`.
    const exited = new Promise<number | null>((res) => u.on("close", (code) => res(code)));
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    let init = "";
    for (let i = 0; i < 50 && !init; i++) {
      await sleep(50);
      init = spawnSync("pgrep", ["-P", String(u.pid)], { encoding: "utf8" }).stdout.trim();
    }
    expect(init).toMatch(/^\d+$/);
    // Two processes whose parent exits at once: the namespace's PID 1 (pause) inherits them.
    expect(spawnSync("nsenter", ["-t", init, "-p", "--", "sh", "-c", "sleep 0.2 & sleep 0.2 & exit 0"]).status).toBe(0);
    await sleep(1000);
    const children = spawnSync("ps", ["-o", "pid=,stat=", "--ppid", init], { encoding: "utf8" }).stdout.trim();
    expect(children).toBe(""); // no zombie left (a non-reaping PID 1 keeps two "Z" entries here)
    process.kill(Number(init), "SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("shutting down");
    expect(stderr).not.toContain("not running as PID 1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
