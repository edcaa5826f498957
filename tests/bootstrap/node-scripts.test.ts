/**
 * The node scripts are real files (node/): shellcheck judges the files themselves, the package
 * registers each one it installs, and no script spells a path, name or number whose one source is a
 * TypeScript constant (it reads them from the env file the library renders).
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { PORTS } from "../../components/core/ports";
import {
  BUNDLE_FORMAT,
  FILES,
  INIT_LOCK_FILES,
  NODE_SCRIPTS,
  nodeDir,
  nodeScriptText,
  PATHS,
  renderBootstrapEnv,
  UNITS,
  type BootstrapEnv,
} from "../../components/bootstrap";
import { CERT_RENEWAL, KUBEADM_LOCAL_HEALTH, STATIC_POD_RESTARTS } from "../../components/bootstrap/cert-renewal";
import { BACKUP_FILES, BACKUP_SCRIPTS } from "../../components/backup/scripts";
import { DEFAULT_ETCD_PATHS, DEFAULT_ETCD_PORTS, ETCD_NODE_FILES, ETCD_SCRIPTS } from "../../components/etcd";
import { runTool } from "./tools";

const DIR = nodeDir();
const all = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? all(path.join(d, e.name)) : [path.join(d, e.name)]));
const FILES_ON_DISK = all(DIR)
  .map((f) => path.relative(DIR, f))
  .sort();
const SHELL = FILES_ON_DISK.filter((f) => f.endsWith(".sh"));

/** Every script the library installs: the boot's, etcd's and the backup's lists. */
const INSTALLED = [...Object.values(NODE_SCRIPTS), ...Object.values(ETCD_SCRIPTS), ...Object.values(BACKUP_SCRIPTS)];

test("the package has every node script the library installs, and no file it does not install", () => {
  const sources: string[] = INSTALLED.map((s) => s.source);
  for (const s of sources) expect(FILES_ON_DISK).toContain(s);
  expect(FILES_ON_DISK.filter((f) => !sources.includes(f))).toEqual([]);
  expect(new Set(INSTALLED.map((s) => s.path)).size).toBe(INSTALLED.length); // no two scripts installed at one path
});

test.each(SHELL)("shellcheck -x -S style passes node/%s as it is", (f) => {
  const r = runTool("shellcheck", ["-x", "-S", "style", path.join(DIR, f)]);
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});

const PYTHON = FILES_ON_DISK.filter((f) => f.endsWith(".py"));

test.each(PYTHON)("node/%s compiles with the node's python3", (f) => {
  expect(PYTHON).toEqual(expect.arrayContaining([NODE_SCRIPTS.unpack.source, NODE_SCRIPTS.certExpiry.source]));
  const r = runTool("python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", path.join(DIR, f)]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});

test("cert-expiry.py lists each certificate and CA with its seconds left, leaving out missing ones", () => {
  const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  const report = {
    kind: "CertificateExpirationInfo",
    certificates: [
      { name: "apiserver", expirationDate: inDays(30), externallyManaged: false, missing: false },
      { name: "apiserver-etcd-client", expirationDate: inDays(300), externallyManaged: true, missing: false },
      { name: "etcd-server", expirationDate: inDays(1), missing: true },
    ],
    certificateAuthorities: [{ name: "ca", expirationDate: inDays(3650), externallyManaged: true, missing: false }],
  };
  const r = runTool("/usr/bin/python3", [path.join(DIR, NODE_SCRIPTS.certExpiry.source)], { input: JSON.stringify(report) });
  expect(r.stderr).toBe("");
  const rows = r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split(" "));
  expect(rows.map(([name, , managed, ca]) => [name, managed, ca])).toEqual([
    ["apiserver", "true", "false"],
    ["apiserver-etcd-client", "false", "false"],
    ["ca", "false", "true"],
  ]);
  const days = rows.map(([, left]) => Math.round(Number(left) / 86_400));
  expect(days).toEqual([30, 300, 3650]);
});

/** Every path, unit name and format the TypeScript defines once. */
const CONSTANTS = [
  ...Object.values(PATHS),
  ...Object.values(FILES),
  ...Object.values(UNITS),
  ...Object.values(INIT_LOCK_FILES),
  ...Object.values(CERT_RENEWAL),
  ...Object.values(KUBEADM_LOCAL_HEALTH),
  ...STATIC_POD_RESTARTS.map((p) => p.pod),
  ...Object.values(ETCD_NODE_FILES),
  ...Object.values(BACKUP_FILES),
  ...Object.values(DEFAULT_ETCD_PATHS),
  BUNDLE_FORMAT,
  `:${PORTS.api}`,
  ...Object.values(DEFAULT_ETCD_PORTS).map((p) => `:${p}`),
].filter((c) => c.length > 4);

const codeLines = (text: string) => text.split("\n").filter((l) => !/^\s*#/.test(l));

test.each(FILES_ON_DISK)("node/%s spells no constant of the library (it reads them from the env)", (f) => {
  const code = codeLines(readFileSync(path.join(DIR, f), "utf8")).join("\n");
  const spelled = CONSTANTS.filter((c) => code.includes(c));
  expect(spelled).toEqual([]);
});

test("the scripts read only variables the env file sets, the boot exports or they default themselves", () => {
  const env: BootstrapEnv = {
    role: "control-plane-0",
    controlPlane: true,
    secretId: "t/bootstrap/control-plane-0",
    region: "eu-west-1",
    apiEndpoint: "api.t.example:6443",
    joinDelaySeconds: 0,
    apiWaitSeconds: 900,
    maxAttempts: 30,
    tokenTtl: "24h0m0s",
    tokenRefreshHours: 12,
    beforeKubeadm: "/x",
    enableUnits: ["a.timer"],
  };
  const set = new Set(
    renderBootstrapEnv(env)
      .split("\n")
      .map((l) => l.split("=")[0]!),
  );
  // Set by the unit (KUBEADM_AWS_ENV), by the boot for its children, by the init-lock env (bundle), or optional with a default in the script.
  for (const k of ["KUBEADM_AWS_ENV", "KUBEADM_AWS_INSTANCE_ID", "KUBEADM_AWS_LOG_TAG", "KUBEADM_AWS_ROOT"]) set.add(k);
  const kubeadmScripts = [
    NODE_SCRIPTS.boot,
    NODE_SCRIPTS.fetch,
    NODE_SCRIPTS.lib,
    NODE_SCRIPTS.tokenSync,
    NODE_SCRIPTS.initLock,
    NODE_SCRIPTS.certRenew,
  ];
  for (const s of kubeadmScripts) {
    const text = codeLines(nodeScriptText(s.source)).join("\n");
    const used = new Set(
      [...text.matchAll(/\$\{?(KUBEADM_AWS_[A-Z0-9_]+)(:?[-?=])?/g)]
        .filter((m) => m[2] === undefined || m[2].endsWith("?"))
        .map((m) => m[1]!),
    );
    const unset = [...used].filter((k) => !set.has(k));
    expect({ script: s.source, unset }).toEqual({ script: s.source, unset: [] });
  }
});

test("the published package carries every node script (npm pack)", () => {
  const r = runTool("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: path.resolve(DIR, "..") });
  expect(r.status).toBe(0);
  const packed = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const f of FILES_ON_DISK) expect(packed).toContain(`node/${f}`);
});
