/** Runs a real validator; a missing tool FAILS the test (it never skips). */
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runTool(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): ToolResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input, timeout: 120_000 });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}); install it (scripts/test.sh installs the validators)`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `files` (relative path → content) under a new temp dir; returns the dir. */
export function writeTree(files: { path: string; content: string; mode?: number }[], prefix = "bootstrap-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  for (const f of files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
    if (f.mode !== undefined) chmodSync(target, f.mode);
  }
  return dir;
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const YAMLLINT_CONFIG = path.join(REPO_ROOT, ".yamllint.yaml");
