/**
 * The boot scripts run for real against stub commands: the token sync's decisions, and the
 * unpacker writing a real bundle with the right modes and refusing paths outside its directories.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "fs";
import * as path from "path";
import {
  BUNDLE_FORMAT,
  bootScript,
  kubernetesModules,
  NODE_SCRIPTS,
  nodeDir,
  placeholders,
  renderBootstrapEnv,
  renderBundle,
  renderBundlePaths,
  renderInitLockEnv,
  renderWorkerFiles,
  tokenSyncScript,
  UNITS,
  unpackScript,
  type BootstrapEnv,
} from "../../components/bootstrap";
import { envWithOverrides } from "../helpers/node-env";
import { FAKE_MATERIAL } from "./stack-roles";
import { runTool, writeTree } from "./tools";

const TOKEN = "abc123.0123456789abcdef";
const ENV: BootstrapEnv = {
  role: "control-plane-0",
  controlPlane: true,
  secretId: "t/bootstrap/control-plane-0",
  region: "eu-west-1",
  apiEndpoint: "api.t.example.internal:6443",
  joinDelaySeconds: 0,
  apiWaitSeconds: 900,
  maxAttempts: 30,
  tokenTtl: "24h0m0s",
  tokenRefreshHours: 12,
};

/** Runs the token sync with a fake `kubeadm` that lists `listing` and logs every call. */
function runSync(listing: string): { status: number; calls: string[]; stdout: string; stderr: string } {
  const dir = writeTree([
    { path: "bootstrap.env", content: "" },
    { path: "join-token", content: `${TOKEN}\n` },
    { path: "sync", content: tokenSyncScript(), mode: 0o755 },
    { path: "listing", content: listing },
    { path: "fetch", content: '#!/bin/sh\necho fetched >>"$CALLS"\n', mode: 0o755 },
    {
      path: "bin/kubeadm",
      mode: 0o755,
      content: '#!/bin/sh\necho "kubeadm $*" >>"$CALLS"\nif [ "$1 $2" = "token list" ]; then cat "$LISTING"; fi\n',
    },
  ]);
  const calls = path.join(dir, "calls");
  writeFileSync(calls, "");
  writeFileSync(
    path.join(dir, "bootstrap.env"),
    envWithOverrides(renderBootstrapEnv(ENV), {
      KUBEADM_AWS_FETCH: path.join(dir, "fetch"),
      KUBEADM_AWS_TOKEN_FILE: path.join(dir, "join-token"),
    }),
  );
  const r = runTool("bash", [path.join(dir, "sync")], {
    env: {
      PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`,
      CALLS: calls,
      LISTING: path.join(dir, "listing"),
      KUBEADM_AWS_ENV: path.join(dir, "bootstrap.env"),
    },
  });
  return { ...r, calls: readFileSync(calls, "utf8").trim().split("\n") };
}

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("token sync (control plane, hourly)", () => {
  test("creates the current token when the cluster does not have it", () => {
    const r = runSync(`zzz999.0000000000000000 ${inHours(20)}\n`);
    expect(r.status).toBe(0);
    expect(r.calls[0]).toBe("fetched");
    expect(r.calls.some((c) => c.startsWith("kubeadm token delete"))).toBe(false);
    expect(r.calls).toContainEqual(
      `kubeadm token create --kubeconfig /etc/kubernetes/admin.conf ${TOKEN} --ttl 24h0m0s --description kubeadm-aws join token (from Secrets Manager; renewed by kubeadm-aws-token-sync) --groups system:bootstrappers:kubeadm:default-node-token --usages signing,authentication`,
    );
  });

  test("leaves a token with more than the refresh margin alone", () => {
    const r = runSync(`${TOKEN} ${inHours(20)}\n`);
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => /token (create|delete)/.test(c))).toEqual([]);
    expect(r.stderr).toMatch(/kubeadm-aws-token-sync\[control-plane-0\]: join token abc123 is valid until/);
  });

  test("renews a token about to expire (delete, then create with a fresh TTL)", () => {
    const r = runSync(`${TOKEN} ${inHours(3)}\nzzz999.0000000000000000 ${inHours(1)}\n`);
    expect(r.status).toBe(0);
    const changes = r.calls.filter((c) => /token (create|delete)/.test(c));
    expect(changes[0]).toBe("kubeadm token delete --kubeconfig /etc/kubernetes/admin.conf abc123");
    expect(changes[1]).toMatch(/^kubeadm token create .* abc123\.0123456789abcdef --ttl 24h0m0s/);
    // A rotated-out token is never touched: it expires by its TTL.
    expect(r.calls.some((c) => c.includes("zzz999"))).toBe(false);
  });

  test("never prints the token secret", () => {
    for (const listing of ["", `${TOKEN} ${inHours(20)}\n`, `${TOKEN} ${inHours(1)}\n`]) {
      const r = runSync(listing);
      expect(r.stdout + r.stderr).not.toContain("0123456789abcdef");
    }
  });
});

/** Runs the real unpacker (node/lib/unpack.py) as the fetch script does: the format and allow-list from the library. */
function unpack(dir: string, bundleFile: string, root: string) {
  writeFileSync(path.join(dir, "bundle-paths"), renderBundlePaths());
  return runTool("python3", [path.join(nodeDir(), NODE_SCRIPTS.unpack.source), BUNDLE_FORMAT, path.join(dir, "bundle-paths"), bundleFile], {
    env: { ...process.env, KUBEADM_AWS_ROOT: root },
  });
}

describe("bundle unpacker", () => {
  const files = renderWorkerFiles(
    {
      role: "worker-general",
      region: "eu-west-1",
      clusterName: "t",
      apiName: "api.t.example.internal",
      labels: { "node.kubeadm-aws.io/class": "general" },
    },
    { discoveryHash: FAKE_MATERIAL.discoveryHash },
    { bootstrapToken: TOKEN },
  );

  test("writes the bundle's files with their modes under the root", () => {
    expect(unpackScript()).toBe(readFileSync(path.join(nodeDir(), NODE_SCRIPTS.unpack.source), "utf8"));
    const dir = writeTree([{ path: "bundle.json", content: renderBundle("worker-general", files) }]);
    const root = path.join(dir, "root");
    const r = unpack(dir, path.join(dir, "bundle.json"), root);
    expect(r.stderr).toBe("");
    const inBundle = files.filter((f) => f.sensitive || f.viaBundle);
    expect(r.stdout.trim()).toBe(`unpack: wrote ${inBundle.length} files for worker-general`);
    for (const f of inBundle) expect(statSync(path.join(root, f.path)).mode & 0o777).toBe(parseInt(f.permissions, 8));
    const join = path.join(root, "etc/kubernetes/kubeadm/join.yaml");
    expect(readFileSync(join, "utf8")).toBe(files.find((f) => f.path === "/etc/kubernetes/kubeadm/join.yaml")!.content);
    expect(statSync(join).mode & 0o777).toBe(0o600);
    expect(readFileSync(join, "utf8")).toContain(TOKEN);
  });

  test("refuses a path outside its directories, writing nothing", () => {
    const evil = JSON.stringify({
      format: "kubeadm-aws-bundle/v1",
      role: "x",
      files: [{ path: "/etc/kubernetes/pki/../../cron.d/evil", permissions: "0644", content: "x" }],
    });
    const dir = writeTree([{ path: "bundle.json", content: evil }]);
    const root = path.join(dir, "root");
    const r = unpack(dir, path.join(dir, "bundle.json"), root);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("refusing path");
    expect(existsSync(path.join(root, "etc/cron.d/evil"))).toBe(false);
  });

  test("placeholder and real renders write the same paths", () => {
    const shown = renderWorkerFiles(
      { role: "worker-general", region: "eu-west-1", clusterName: "t", apiName: "api.t.example.internal" },
      { discoveryHash: FAKE_MATERIAL.discoveryHash },
      placeholders(["bootstrapToken"]),
    );
    expect(shown.map((f) => f.path)).toEqual(files.map((f) => f.path));
  });
});

/** Runs the boot script with stub commands; `hookFailures` makes the before-kubeadm hook fail that many times first. */
function runBoot(env: BootstrapEnv, hookFailures: number): { status: number; calls: string[]; stdout: string } {
  const log = (name: string) => `#!/bin/sh\necho "${name} $*" >>"$CALLS"\n`;
  const dir = writeTree([
    { path: "bootstrap.env", content: renderBootstrapEnv({ ...env, beforeKubeadm: "__HOOK__" }) },
    { path: "boot", content: bootScript(), mode: 0o755 },
    { path: "fetch", content: log("fetch"), mode: 0o755 },
    {
      path: "hook",
      content: `${log("hook")}n=$(cat "$HOOK_STATE" 2>/dev/null || echo 0)\necho $((n + 1)) >"$HOOK_STATE"\n[ "$n" -ge ${hookFailures} ]\n`,
      mode: 0o755,
    },
    // The init marker (tests/boot runs the real one against moto): this node holds the claim.
    { path: "init-lock", content: `${log("init-lock")}[ "$1" != decide ] || echo init\n`, mode: 0o755 },
    { path: "init-lock.env", content: renderInitLockEnv({ table: "t-kubeadm-aws-init", controlPlaneCount: 3 }) },
    { path: "modules.conf", content: kubernetesModules() },
    // IMDS answers; the API does not (a new cluster).
    {
      path: "bin/curl",
      content: `#!/bin/sh\ncase "$*" in *readyz*) exit 7;; *) echo ip-10-0-0-1.eu-west-1.compute.internal;; esac\n`,
      mode: 0o755,
    },
    ...["kubeadm", "systemctl", "hostnamectl", "modprobe", "sysctl", "sleep"].map((c) => ({
      path: `bin/${c}`,
      content: log(c),
      mode: 0o755,
    })),
  ]);
  const envFile = path.join(dir, "bootstrap.env");
  writeFileSync(
    envFile,
    envWithOverrides(readFileSync(envFile, "utf8").replace("__HOOK__", path.join(dir, "hook")), {
      KUBEADM_AWS_FETCH: path.join(dir, "fetch"),
      KUBEADM_AWS_STATE_DIR: path.join(dir, "state"),
      KUBEADM_AWS_INIT_LOCK: path.join(dir, "init-lock"),
      KUBEADM_AWS_LOCK_ENV: path.join(dir, "init-lock.env"),
      KUBEADM_AWS_MODULES: path.join(dir, "modules.conf"),
      KUBEADM_AWS_KUBELET_CONF: path.join(dir, "kubelet.conf"),
    }),
  );
  const calls = path.join(dir, "calls");
  writeFileSync(calls, "");
  const r = runTool("bash", [path.join(dir, "boot")], {
    env: {
      PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`,
      CALLS: calls,
      HOOK_STATE: path.join(dir, "hook-state"),
      KUBEADM_AWS_ENV: envFile,
    },
  });
  return { status: r.status, stdout: r.stdout, calls: readFileSync(calls, "utf8").trim().split("\n") };
}

describe("boot hooks (colocated etcd starts before kubeadm; backup timer after it)", () => {
  const env: BootstrapEnv = { ...ENV, enableUnits: [UNITS.tokenSyncTimer, "etcd-backup.timer"] };
  const relevant = (calls: string[]) =>
    calls.filter((c) => /^(fetch|hook|kubeadm|init-lock|systemctl (daemon-reload|enable --now (kubeadm-aws|etcd)))/.test(c));

  test("fetch, the init marker, then the hook, then kubeadm init (through the marker); the timer is enabled once kubeadm succeeded", () => {
    const r = runBoot(env, 0);
    expect(r.status).toBe(0);
    expect(relevant(r.calls)).toEqual([
      "fetch ",
      "init-lock decide",
      "hook ",
      "init-lock run init",
      "systemctl daemon-reload",
      `systemctl enable --now ${UNITS.tokenSyncTimer} etcd-backup.timer`,
    ]);
  });

  test("a failing hook never lets kubeadm run: reset, fetch again, hook again, then kubeadm", () => {
    const r = runBoot(env, 2);
    expect(r.status).toBe(0);
    expect(relevant(r.calls)).toEqual([
      "fetch ",
      "init-lock decide",
      "hook ",
      "kubeadm reset --force",
      "fetch ",
      "init-lock decide",
      "hook ",
      "kubeadm reset --force",
      "fetch ",
      "init-lock decide",
      "hook ",
      "init-lock run init",
      "systemctl daemon-reload",
      `systemctl enable --now ${UNITS.tokenSyncTimer} etcd-backup.timer`,
    ]);
  });

  test("without hooks the env file and the calls stay as before", () => {
    expect(renderBootstrapEnv(ENV)).not.toMatch(/BEFORE_KUBEADM|ENABLE_UNITS/);
    expect(renderBootstrapEnv(env)).toContain(`KUBEADM_AWS_ENABLE_UNITS=${UNITS.tokenSyncTimer},etcd-backup.timer\n`);
  });
});

describe("bundle unpacker and colocated etcd files", () => {
  const bundle = JSON.stringify({
    format: "kubeadm-aws-bundle/v1",
    role: "control-plane-0",
    files: [
      { path: "/etc/etcd/pki/server.key", permissions: "0600", content: "new key\n" },
      { path: "/usr/local/sbin/etcd-backup", permissions: "0755", content: "#!/bin/bash\n" },
    ],
  });

  test("writes under /etc/etcd and etcd-* scripts, and keeps the owner a boot hook gave a replaced file (etcd reads its key)", () => {
    const dir = writeTree([{ path: "bundle.json", content: bundle }]);
    const root = path.join(dir, "root");
    mkdirSync(path.join(root, "etc/etcd/pki"), { recursive: true });
    const key = path.join(root, "etc/etcd/pki/server.key");
    writeFileSync(key, "old key\n");
    chownSync(key, 4242, 4343); // as etcd-node-start would (the tests run as root)
    const r = unpack(dir, path.join(dir, "bundle.json"), root);
    expect(r.stderr).toBe("");
    expect(readFileSync(key, "utf8")).toBe("new key\n");
    expect([statSync(key).uid, statSync(key).gid, statSync(key).mode & 0o777]).toEqual([4242, 4343, 0o600]);
    const script = path.join(root, "usr/local/sbin/etcd-backup");
    expect([statSync(script).uid, statSync(script).mode & 0o777]).toEqual([0, 0o755]);
  });

  test.each(["/usr/local/sbin/kubeadm-aws-fetch-bundle", "/usr/local/lib/kubeadm-aws/unpack.py", "/etc/cron.d/x", "/usr/local/sbin/sshd"])(
    "still refuses other system paths (%s): the user data's own files stay as they came",
    (target) => {
      const evil = JSON.stringify({ format: BUNDLE_FORMAT, role: "x", files: [{ path: target, permissions: "0755", content: "x" }] });
      const dir = writeTree([{ path: "bundle.json", content: evil }]);
      const r = unpack(dir, path.join(dir, "bundle.json"), path.join(dir, "root"));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("refusing path");
      expect(existsSync(path.join(dir, "root", target))).toBe(false);
    },
  );

  test("refuses a bundle of another format", () => {
    const dir = writeTree([{ path: "bundle.json", content: JSON.stringify({ format: "kubeadm-aws-bundle/v0", role: "x", files: [] }) }]);
    const r = unpack(dir, path.join(dir, "bundle.json"), path.join(dir, "root"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown bundle format");
  });
});

describe("init marker settings", () => {
  test("come only with the bundle's init-lock.env (one source), never in the user data's env file", () => {
    expect(renderBootstrapEnv(ENV)).not.toMatch(/INIT_LOCK_TABLE|CONTROL_PLANE_COUNT/);
    expect(renderInitLockEnv({ table: "t-kubeadm-aws-init", controlPlaneCount: 3 })).toBe(
      "KUBEADM_AWS_INIT_LOCK_TABLE=t-kubeadm-aws-init\nKUBEADM_AWS_CONTROL_PLANE_COUNT=3\n",
    );
    expect(() => renderInitLockEnv({ table: "t init", controlPlaneCount: 3 })).toThrow(/quoting/);
  });
});
