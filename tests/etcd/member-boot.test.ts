/**
 * A dedicated member's boot action (node/sbin/etcd-member-boot.sh) and its last step (etcd-node-start.sh), run as
 * they are with the member env file the library renders: stub commands for what a machine does to its disks and
 * services (blkid, mkfs, mount, systemctl, curl for the health endpoint, useradd/chown), real bash, sha256sum,
 * grep and readlink. Only the paths a test must own (fstab, data and pki dirs, devices) are overridden, by lines
 * appended to the env files, as the node would read them.
 */
import { execFileSync } from "child_process";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "fs";
import * as path from "path";
import { parseEnvFile } from "../../components/bootstrap/env-file";
import { nodeDir } from "../../components/bootstrap/node-scripts";
import { DATA_VOLUME_MOUNT_OPTIONS } from "../../components/etcd";
import { dedicatedMemberFiles } from "./fixtures";
import { runTool, writeTree } from "../bootstrap/tools";

const files = dedicatedMemberFiles("on-host", 3, 1);

const content = (p: string) => files.find((f) => f.path === p)!.content;
const log = (name: string) => `#!/bin/bash\necho "${name} $*" >>"$CALLS"\n`;

interface Options {
  /** What blkid finds on the device: nothing, a filesystem, or an error. @default "blank" */
  disk?: "blank" | "ext4" | "xfs" | "error";
  /** Whether the device exists. @default true */
  device?: boolean;
  /** The health endpoint answers from this call on (0: never). @default 1 */
  healthyAt?: number;
  /** The bundle's file differs from the user data's digest. @default false */
  tampered?: boolean;
}

function member(o: Options = {}) {
  const blkid = `#!/bin/bash
echo "blkid $*" >>"$CALLS"
state="$(cat "$DISK")"
case "$*" in
  *"-s TYPE"*) [ "$state" = blank ] || [ "$state" = error ] || echo "$state" ;;
  *"-s UUID"*) echo 0f1e2d3c-uuid ;;
  *) case "$state" in blank) exit 2 ;; error) exit 4 ;; *) exit 0 ;; esac ;;
esac
`;
  const curl = `#!/bin/bash
echo "curl $*" >>"$CALLS"
n=$(($(cat "$HEALTH_CALLS" 2>/dev/null || echo 0) + 1)); echo "$n" >"$HEALTH_CALLS"
[ "$HEALTHY_AT" != 0 ] && [ "$n" -ge "$HEALTHY_AT" ]
`;
  const dir = writeTree(
    [
      { path: "bundle/etc/etcd/etcd.conf.yml", content: content("/etc/etcd/etcd.conf.yml") },
      { path: "fstab", content: "# the root disk\n" },
      { path: "disk", content: o.disk ?? "blank" },
      { path: "pki/server.key", content: "SK\n" },
      { path: "node-start", content: readFileSync(path.join(nodeDir(), "sbin/etcd-node-start.sh"), "utf8"), mode: 0o755 },
      { path: "bin/blkid", content: blkid, mode: 0o755 },
      { path: "bin/curl", content: curl, mode: 0o755 },
      { path: "bin/mkfs.ext4", content: `${log("mkfs.ext4")}echo ext4 >"$DISK"\n`, mode: 0o755 },
      { path: "bin/mountpoint", content: `${log("mountpoint")}exit 1\n`, mode: 0o755 },
      { path: "bin/id", content: `${log("id")}exit 1\n`, mode: 0o755 },
      ...["mount", "systemctl", "useradd", "chown", "chmod", "sleep"].map((c) => ({ path: `bin/${c}`, content: log(c), mode: 0o755 })),
    ],
    "etcd-member-boot-",
  );
  if (o.device ?? true) {
    execFileSync("mkdir", ["-p", path.join(dir, "dev/disk/by-id")]);
    // A block device node that is never opened (every command that would read it is a stub); needs root.
    execFileSync("mknod", [path.join(dir, "dev/xvdf"), "b", "7", "250"]);
    symlinkSync("../../xvdf", path.join(dir, "dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0"));
  }
  const digest = content("/etc/etcd/boot-files.sha256")
    .split("\n")
    .filter((l) => l.endsWith("  /etc/etcd/etcd.conf.yml"))
    .join("\n");
  expect(digest).toMatch(/^[0-9a-f]{64} {2}\/etc\/etcd\/etcd\.conf\.yml$/);
  writeFileSync(path.join(dir, "boot-files.sha256"), `${digest.replace("  /", `  ${dir}/bundle/`)}\n`);
  if (o.tampered) writeFileSync(path.join(dir, "bundle/etc/etcd/etcd.conf.yml"), "name: someone-else\n");
  writeFileSync(
    path.join(dir, "bootstrap.env"),
    `${content("/etc/kubeadm-aws/bootstrap.env")}KUBEADM_AWS_LIB=${path.join(nodeDir(), "lib/lib.sh")}\nKUBEADM_AWS_ETCD_ENV=${path.join(dir, "member.env")}\n`,
  );
  writeFileSync(
    path.join(dir, "member.env"),
    `${content("/etc/etcd/member.env")}${[
      `KUBEADM_AWS_ETCD_DATA_DIR=${dir}/data`,
      `KUBEADM_AWS_ETCD_PKI_DIR=${dir}/pki`,
      `KUBEADM_AWS_ETCD_FSTAB=${dir}/fstab`,
      `KUBEADM_AWS_ETCD_BOOT_FILES=${dir}/boot-files.sha256`,
      `KUBEADM_AWS_ETCD_NODE_START=${dir}/node-start`,
      `KUBEADM_AWS_ETCD_VOLUME_DEVICES=${dir}/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0,${dir}/dev/xvdf`,
      "KUBEADM_AWS_ETCD_VOLUME_ATTEMPTS=3",
      "KUBEADM_AWS_ETCD_START_ATTEMPTS=4",
    ].join("\n")}\n`,
  );
  const env = {
    PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`,
    CALLS: path.join(dir, "calls"),
    DISK: path.join(dir, "disk"),
    HEALTH_CALLS: path.join(dir, "health"),
    HEALTHY_AT: String(o.healthyAt ?? 1),
    KUBEADM_AWS_ENV: path.join(dir, "bootstrap.env"),
    KUBEADM_AWS_ETCD_ENV: path.join(dir, "member.env"),
  };
  const run = () => {
    const r = runTool("bash", [path.join(nodeDir(), "sbin/etcd-member-boot.sh")], { env });
    const calls = existsSync(env.CALLS) ? readFileSync(env.CALLS, "utf8").trim().split("\n") : [];
    return { ...r, calls };
  };
  return { dir, run, fstab: () => readFileSync(path.join(dir, "fstab"), "utf8") };
}

test("the rendered env files name the action, the volume and the next step (what the test overrides is only paths it owns)", () => {
  const env = parseEnvFile(content("/etc/etcd/member.env"));
  expect(env).toMatchObject({
    KUBEADM_AWS_ETCD_MEMBER: "etcd-1",
    KUBEADM_AWS_ETCD_VOLUME_ID: "vol-0123456789abcdef0",
    KUBEADM_AWS_ETCD_FSTAB: "/etc/fstab",
    KUBEADM_AWS_ETCD_VOLUME_DEVICES: "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0,/dev/xvdf,/dev/sdf",
    KUBEADM_AWS_ETCD_NODE_START: "/usr/local/sbin/etcd-node-start",
    KUBEADM_AWS_ETCD_UNIT: "etcd.service",
    KUBEADM_AWS_ETCD_HEALTH_URL: "http://127.0.0.1:2381/health",
  });
  expect(parseEnvFile(content("/etc/kubeadm-aws/bootstrap.env")).KUBEADM_AWS_BOOT_ACTION).toBe("/usr/local/sbin/etcd-member-boot");
});

test("a blank volume is formatted, mounted by its fstab line, and only then is the member started; a second run formats nothing and adds no line", () => {
  const m = member();
  const r = m.run();
  expect(r.stderr).toContain("etcd-member-boot[etcd-1]: formatting the blank volume vol-0123456789abcdef0");
  expect(r.status).toBe(0);
  const dev = path.join(m.dir, "dev/xvdf");
  expect(r.calls.filter((c) => c.startsWith("mkfs"))).toEqual([`mkfs.ext4 -q -L etcd-data -m 0 ${dev}`]);
  const line = `UUID=0f1e2d3c-uuid ${m.dir}/data ext4 ${DATA_VOLUME_MOUNT_OPTIONS} 0 2`;
  expect(m.fstab()).toBe(`# the root disk\n${line}\n`);
  const mount = r.calls.indexOf(`mount --fstab ${m.dir}/fstab ${m.dir}/data`);
  const start = r.calls.indexOf("systemctl start --no-block etcd.service");
  expect([mount >= 0, start > mount]).toEqual([true, true]);
  // etcd-node-start: the user, the data dir and the keys handed to it, the unit enabled, healthy.
  expect(r.calls).toEqual(
    expect.arrayContaining([
      "useradd --system --no-create-home --home-dir " + `${m.dir}/data --shell /usr/sbin/nologin etcd`,
      `chown -R etcd:etcd ${m.dir}/pki`,
      "systemctl enable etcd.service",
      "curl -sf --max-time 5 http://127.0.0.1:2381/health",
    ]),
  );
  expect(r.stderr).toContain("etcd-node-start[etcd-1]: etcd-1 is healthy (etcd.service)");

  const again = m.run();
  expect(again.status).toBe(0);
  expect(again.calls.filter((c) => c.startsWith("mkfs"))).toHaveLength(1); // still the first run's only
  expect(m.fstab()).toBe(`# the root disk\n${line}\n`);
});

test("a volume that holds the member's filesystem is never formatted (a replaced instance rejoins with its data)", () => {
  const r = member({ disk: "ext4" }).run();
  expect(r.status).toBe(0);
  expect(r.calls.filter((c) => c.startsWith("mkfs"))).toEqual([]);
  expect(r.calls).toContain("systemctl start --no-block etcd.service");
});

test.each([
  ["error", "cannot probe", "formatting nothing"],
  ["xfs", "holds xfs, not ext4", "leaving it alone"],
] as const)("a volume blkid answers %s for is neither formatted nor mounted, and etcd is not started", (disk, a, b) => {
  const r = member({ disk }).run();
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(a);
  expect(r.stderr).toContain(b);
  expect(r.calls.filter((c) => /^(mkfs|mount |systemctl start)/.test(c))).toEqual([]);
});

test("a volume that never appears fails the attempt after its retries, touching nothing (the common boot retries the action)", () => {
  const r = member({ device: false }).run();
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("data volume vol-0123456789abcdef0 to appear: failed 3 times");
  expect(r.calls.filter((c) => c.startsWith("sleep"))).toEqual(["sleep 2", "sleep 4"]);
  expect(r.calls.filter((c) => /^(blkid|mkfs|mount|systemctl)/.test(c))).toEqual([]);
});

test("a bundle whose files differ from the user data's digests fails before the volume is touched", () => {
  const r = member({ tampered: true }).run();
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("the bundle's files differ from");
  expect(r.calls.filter((c) => /^(blkid|mkfs|mount|systemctl)/.test(c))).toEqual([]);
});

test("the member waits for its health endpoint (a quorum): healthy on the third call passes, never healthy fails after its attempts", () => {
  const late = member({ disk: "ext4", healthyAt: 3 }).run();
  expect(late.status).toBe(0);
  expect(late.calls.filter((c) => c.startsWith("curl"))).toHaveLength(3);
  const never = member({ disk: "ext4", healthyAt: 0 }).run();
  expect(never.status).not.toBe(0);
  expect(never.stderr).toContain(
    "etcd member etcd-1 answering http://127.0.0.1:2381/health (is a quorum of members running?): failed 4 times",
  );
});
