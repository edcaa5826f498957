/** Runs the real validators the image tests rely on; a missing tool fails the test, never skips it. */
import { spawnSync } from "child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..");
export const PACKER = path.join(REPO, "packer");
export const SCRIPTS = path.join(PACKER, "scripts");

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; throws if the executable is missing (so the test fails with a clear message). */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, env: opts.env ?? process.env, encoding: "utf8", timeout: 120_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT" ? `${cmd} is not installed; these tests need it (apt-get install ${cmd})` : `${cmd}: ${r.error.message}`,
    );
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Constructs of the current amazon plugin that Packer 1.6.6 (Debian's package, whose amazon-ebs
 * builder predates them) does not know. The 1.6.6 validation copy drops exactly these, and
 * `packerValidationCopy` fails if one is not found, so the list cannot silently rot.
 */
export const NEWER_THAN_1_6_6: { file: string; what: string; pattern: RegExp }[] = [
  {
    file: "sources.pkr.hcl",
    what: "metadata_options block (IMDSv2 on the build instance)",
    pattern: /\n {2}metadata_options \{\n(?: {4}[^\n]*\n)+ {2}\}\n/,
  },
  { file: "sources.pkr.hcl", what: "imds_support (IMDSv2 default of the image)", pattern: /\n {2}imds_support = "v2\.0"\n/ },
];

/**
 * A temp copy of packer/ for Packer 1.6.6: without packer.pkr.hcl (its `required_plugins` is
 * unknown to 1.6.6) and without the NEWER_THAN_1_6_6 constructs. `mutate` may edit the copy.
 */
export function packerValidationCopy(mutate?: (dir: string) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), "pka-packer-"));
  for (const f of readdirSync(PACKER)) {
    if (f === "packer.pkr.hcl" || f === "build-manifest.json") continue;
    cpSync(path.join(PACKER, f), path.join(dir, f), { recursive: true });
  }
  for (const c of NEWER_THAN_1_6_6) {
    const file = path.join(dir, c.file);
    const text = readFileSync(file, "utf8");
    const hits = text.match(new RegExp(c.pattern.source, "g")) ?? [];
    if (hits.length !== 1) throw new Error(`expected exactly one ${c.what} in packer/${c.file}, found ${hits.length}`);
    writeFileSync(file, text.replace(c.pattern, "\n"));
  }
  mutate?.(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Variables every validation needs that have no default (build settings, not manifest). */
export const BUILD_VARS = ["-var", "region=eu-west-1", "-var", 'ssh_source_cidrs=["203.0.113.7/32"]'];
