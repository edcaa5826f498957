/**
 * Small helpers the node-artifacts build shares: running commands with readable failures, the
 * cache's lock directory, files and hashes. Same conventions as tools/k8s/build.ts.
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BuildError } from "../build-util";

export { BuildError, isExecutable, lock, readOr, type Log } from "../build-util";

/** Runs a command; throws BuildError with the tail of its output when it fails. Returns stdout. */
export function run(cmd: string, args: string[], what: string, opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw new BuildError(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${String(r.stderr ?? "")}\n${String(r.stdout ?? "")}`.trim();
    throw new BuildError(`${what} failed (exit ${r.status ?? r.signal}):\n${out.split("\n").slice(-30).join("\n")}`);
  }
  return String(r.stdout ?? "");
}

/** Whether a command is on PATH. */
export function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

/** sha256 (hex) of a file's content. */
export function sha256File(p: string): string {
  return createHash("sha256").update(fs.readFileSync(p)).digest("hex");
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Copies a file, keeping nothing but the content, with the given mode. */
export function copyFile(from: string, to: string, mode = 0o755): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.rmSync(to, { force: true });
  fs.copyFileSync(fs.realpathSync(from), to);
  fs.chmodSync(to, mode);
}

/** Seconds since `started`, for progress lines. */
export function since(started: number): string {
  return `${Math.round((Date.now() - started) / 1000)} s`;
}

/** The Debian version of an installed package, or undefined. */
export function debVersion(pkg: string): string | undefined {
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}
