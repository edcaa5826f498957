/**
 * Helpers every local build shares (tools/k8s/build.ts, tools/node-artifacts/, tools/local-boot/):
 * the build error, the cache's lock directory, the Go environment, small file checks.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** A build that cannot proceed, with a message that says what to do. */
export class BuildError extends Error {}

export type Log = (line: string) => void;

export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function readOr(p: string, fallback: string): string {
  try {
    return fs.readFileSync(p, "utf8").trim();
  } catch {
    return fallback;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One holder at a time per lock directory (a test run and a shell may both ask): it holds the
 * owner's pid; a lock whose owner is gone is taken over. Waits, polling, while another holds it.
 * Returns the unlock function.
 */
export function lock(dir: string, log: Log): () => void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "pid"), String(process.pid));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      const owner = Number(readOr(path.join(dir, "pid"), "0"));
      if (!owner || (!alive(owner) && owner !== process.pid)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (owner === process.pid) throw new BuildError(`${dir} is already held by this process (a nested build?)`);
      if (!told) log(`waiting for the holder of ${dir} (pid ${owner})`);
      told = true;
      spawnSync("sleep", ["5"]);
    }
  }
}

/** The Go environment: module and build caches under the cache root, outside the repository. */
export function goEnv(root: string, cgo = false): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOMODCACHE: path.join(root, "go", "mod"),
    GOCACHE: path.join(root, "go", "build"),
    GOFLAGS: "-modcacherw",
    GOWORK: "off",
    CGO_ENABLED: cgo ? "1" : "0",
    GOOS: "linux",
    GOARCH: "amd64",
  };
}
