/**
 * A dedicated etcd member's boot reads its TLS secret with retries (the instance profile and the
 * secret's value may still be propagating): the rendered fragment, run for real with a stub `aws`.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";
import { renderBootScript, renderPkiFetch } from "../../components/etcd";
import { runTool, writeTree } from "../bootstrap/tools";

const SECRET = JSON.stringify({ "ca.crt": "CA\n", "server.key": "KEY\n" });

/** Runs the fragment with `aws` failing `failures` times first. */
function run(failures: number, attempts = 30, secret = SECRET) {
  const dir = writeTree([
    { path: "fetch", content: `#!/bin/bash\nset -euo pipefail\nSECRET_ID=s REGION=eu-west-1 PKI_DIR="$PKI"\n${renderPkiFetch(attempts)}echo done\n`, mode: 0o755 },
    { path: "secret.json", content: secret },
    { path: "bin/aws", mode: 0o755, content: `#!/bin/sh\necho "aws $*" >>"$CALLS"\nn=$(cat "$STATE" 2>/dev/null || echo 0); echo $((n + 1)) >"$STATE"\n[ "$n" -ge ${failures} ] || { echo "AccessDeniedException" >&2; exit 255; }\ncat "$SECRET"\n` },
    { path: "bin/sleep", mode: 0o755, content: `#!/bin/sh\necho "sleep $*" >>"$CALLS"\n` },
    { path: "pki/.keep", content: "" },
  ], "etcd-pki-");
  const r = runTool("bash", [path.join(dir, "fetch")], {
    env: { PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`, CALLS: path.join(dir, "calls"), STATE: path.join(dir, "n"), SECRET: path.join(dir, "secret.json"), PKI: path.join(dir, "pki") },
  });
  const calls = readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
  return { ...r, calls, pki: path.join(dir, "pki"), dir };
}

test("the member's boot script uses the fragment (and it passes shellcheck)", () => {
  const script = renderBootScript({ memberName: "etcd-0", volumeId: "vol-0123", secretId: "s", region: "eu-west-1", runtime: "on-host" });
  expect(script).toContain(renderPkiFetch());
  const dir = writeTree([{ path: "boot", content: script }]);
  const r = runTool("shellcheck", ["-S", "warning", path.join(dir, "boot")]);
  expect(r.stdout + r.stderr).toBe("");
});

test("a secret not readable yet is retried with backoff, then its files are written 0600", () => {
  const r = run(3);
  expect(r.status).toBe(0);
  expect(r.calls.filter((c) => c.startsWith("aws "))).toHaveLength(4);
  expect(r.calls.filter((c) => c.startsWith("sleep "))).toEqual(["sleep 2", "sleep 4", "sleep 6"]);
  expect(readFileSync(path.join(r.pki, "server.key"), "utf8")).toBe("KEY\n");
  expect(statSync(path.join(r.pki, "server.key")).mode & 0o777).toBe(0o600);
});

test("a secret that never becomes readable fails the boot after the budget, with a clear line", () => {
  const r = run(99, 5);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("etcd-member-boot: cannot read s after 5 attempts");
  expect(r.calls.filter((c) => c.startsWith("aws "))).toHaveLength(5);
  expect(r.stdout).not.toContain("done");
});

test("the secret's JSON (private keys) never lands in /tmp and is removed even when unpacking fails", () => {
  expect(renderPkiFetch()).not.toMatch(/mktemp\)"|mktemp"\)/);
  const ok = run(0);
  expect(readdirSync(ok.pki).filter((f) => f.startsWith(".secret."))).toEqual([]);
  const bad = run(0, 30, JSON.stringify({ "../escape": "KEY\n", "server.key": "KEY\n" }));
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain("bad file name in secret");
  expect(readdirSync(bad.pki).filter((f) => f.startsWith(".secret."))).toEqual([]);
});

