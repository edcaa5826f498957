/**
 * A dedicated etcd member's keys reach it the way every role's files do: the common fetch
 * (node/sbin/kubeadm-aws-fetch-bundle.sh, retried while the instance profile and the secret's value propagate)
 * reads the member's bundle and the real unpacker writes its files. Run as they are, with the member's own
 * rendered bootstrap env and bundle, a stub `aws` and the unpacker writing under a test root.
 */
import { chownSync, readdirSync, readFileSync, statSync, writeFileSync } from "fs";
import * as path from "path";
import { renderBundle } from "../../components/bootstrap/files";
import { nodeDir } from "../../components/bootstrap/node-scripts";
import { dedicatedMemberFiles } from "../etcd/fixtures";
import { runTool, writeTree } from "../bootstrap/tools";

const files = dedicatedMemberFiles("on-host", 3, 0);

const at = (p: string) => files.find((f) => f.path === p)!.content;
const lib = (f: string) => path.join(nodeDir(), f);

/** Fetches the member's bundle with `aws` failing `failures` times first. */
function fetch(failures: number, o: { attempts?: number; bundle?: string; dir?: string } = {}) {
  const dir =
    o.dir ??
    writeTree(
      [
        {
          path: "bin/aws",
          mode: 0o755,
          content: `#!/bin/sh\necho "aws $*" >>"$CALLS"\necho "out $(readlink /proc/$$/fd/1)" >>"$OUTS"\nn=$(cat "$STATE" 2>/dev/null || echo 0); echo $((n + 1)) >"$STATE"\n[ "$n" -ge "$FAILURES" ] || { echo "AccessDeniedException" >&2; exit 255; }\ncat "$BUNDLE"\n`,
        },
        { path: "bin/sleep", mode: 0o755, content: `#!/bin/sh\necho "sleep $*" >>"$CALLS"\n` },
        { path: "bundle-paths", content: at("/usr/local/lib/kubeadm-aws/bundle-paths") },
        { path: "root/.keep", content: "" },
        { path: "tmp/.keep", content: "" },
      ],
      "etcd-pki-",
    );
  writeFileSync(path.join(dir, "bundle.json"), o.bundle ?? renderBundle("etcd-0", files));
  writeFileSync(
    path.join(dir, "bootstrap.env"),
    `${at("/etc/kubeadm-aws/bootstrap.env")}${[
      `KUBEADM_AWS_LIB=${lib("lib/lib.sh")}`,
      `KUBEADM_AWS_UNPACK=${lib("lib/unpack.py")}`,
      `KUBEADM_AWS_BUNDLE_PATHS=${dir}/bundle-paths`,
      `KUBEADM_AWS_FETCH_ATTEMPTS=${o.attempts ?? 30}`,
      `KUBEADM_AWS_STATE_DIR=${dir}/state`,
    ].join("\n")}\n`,
  );
  writeFileSync(path.join(dir, "calls"), "");
  writeFileSync(path.join(dir, "n"), "0");
  const r = runTool("bash", [lib("sbin/kubeadm-aws-fetch-bundle.sh")], {
    env: {
      PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`,
      CALLS: path.join(dir, "calls"),
      OUTS: path.join(dir, "outs"),
      STATE: path.join(dir, "n"),
      FAILURES: String(failures),
      BUNDLE: path.join(dir, "bundle.json"),
      KUBEADM_AWS_ENV: path.join(dir, "bootstrap.env"),
      KUBEADM_AWS_ROOT: path.join(dir, "root"),
      TMPDIR: path.join(dir, "tmp"),
    },
  });
  const calls = readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
  return { ...r, calls, dir, root: (p: string) => path.join(dir, "root", p) };
}

test("the member reads its own bundle by its name, with the role's region", () => {
  const r = fetch(0);
  expect(r.status).toBe(0);
  expect(r.calls[0]).toBe(
    "aws secretsmanager get-secret-value --region eu-west-1 --secret-id prod/bootstrap/etcd-0 --query SecretString --output text",
  );
});

test("a bundle not readable yet is retried with backoff, then the member's keys are written 0600 and its certificates 0644", () => {
  const r = fetch(3);
  expect(r.status).toBe(0);
  expect(r.calls.filter((c) => c.startsWith("aws "))).toHaveLength(4);
  expect(r.calls.filter((c) => c.startsWith("sleep "))).toEqual(["sleep 2", "sleep 4", "sleep 6"]);
  expect(readFileSync(r.root("etc/etcd/pki/server.key"), "utf8")).toBe("-----BEGIN PRIVATE KEY-----\nSK\n");
  expect(statSync(r.root("etc/etcd/pki/server.key")).mode & 0o777).toBe(0o600);
  expect(statSync(r.root("etc/etcd/pki/server.crt")).mode & 0o777).toBe(0o644);
  // With the keys: the action, its next step and its settings.
  expect(statSync(r.root("usr/local/sbin/etcd-member-boot")).mode & 0o777).toBe(0o755);
  expect(readFileSync(r.root("etc/etcd/member.env"), "utf8")).toBe(at("/etc/etcd/member.env"));
});

test("a bundle that never becomes readable fails after its attempts, with a clear line", () => {
  const r = fetch(99, { attempts: 5 });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("reading prod/bootstrap/etcd-0: failed 5 times");
  expect(r.calls.filter((c) => c.startsWith("aws "))).toHaveLength(5);
});

test("the fetched JSON (private keys) waits in the boot's state folder, never /tmp, and is removed on exit, also when the unpacker refuses a path", () => {
  const ok = fetch(0);
  expect(readFileSync(path.join(ok.dir, "outs"), "utf8")).toMatch(new RegExp(`^out ${ok.dir}/state/\\.bundle\\.\\w{6}\n$`));
  expect(readdirSync(path.join(ok.dir, "state"))).toEqual([]);
  expect(readdirSync(path.join(ok.dir, "tmp")).filter((f) => f !== ".keep")).toEqual([]);
  const bad = fetch(0, {
    bundle: JSON.stringify({
      format: "kubeadm-aws-bundle/v1",
      role: "etcd-0",
      files: [{ path: "/etc/passwd", permissions: "0644", content: "x" }],
    }),
  });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain("unpack: refusing path /etc/passwd");
  expect(readdirSync(path.join(bad.dir, "state"))).toEqual([]);
});

test("a fetch again (each boot attempt fetches) keeps the owner etcd-node-start gave the keys", () => {
  const first = fetch(0);
  const key = first.root("etc/etcd/pki/server.key");
  chownSync(key, 4242, 4343); // as etcd-node-start does (the tests run as root)
  const again = fetch(0, { dir: first.dir });
  expect(again.status).toBe(0);
  expect([statSync(key).uid, statSync(key).gid, statSync(key).mode & 0o777]).toEqual([4242, 4343, 0o600]);
});
