/**
 * A real etcd runs what the library renders: a 3-member dedicated on-host cluster is recorded under
 * mocks, its rendered config and member env file are rewritten ONLY in addresses, ports and
 * file paths (member IPs -> 127.0.0.1 with free high ports, /var/lib/etcd and /etc/etcd/pki -> a
 * temp dir); the backup and restore scripts are the node files, run as they are. Certificates are minted with openssl using the SANs and usages the library requests,
 * and the manifest's etcd (3.6.8, built from source by tools/k8s/build.ts: tests/helpers/k8s-bin.ts)
 * runs it. The scripts find that build's etcdctl and etcdutl first on PATH. Fails (never skips) when
 * etcd, etcdctl, etcdutl or openssl is missing, or when a binary is not the manifest's version.
 *
 * etcdutl: etcd 3.6 restores only with `etcdutl snapshot restore`; tools/k8s/build.ts builds it with etcd.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from "child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  createWriteStream,
  openSync,
  chmodSync,
  symlinkSync,
  realpathSync,
  type WriteStream,
} from "fs";
import { createServer, type AddressInfo } from "net";
import { request } from "https";
import { tmpdir } from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { etcdSpec, recordEtcd } from "./fixtures";
import { inputs, named, recordProgram } from "../helpers/record";
import { k8sBin, k8sBinDir } from "../helpers/k8s-bin";
import { ClusterPki } from "../../components/pki";
import { configFlagNames } from "../../components/etcd";
import { parseEnvFile } from "../../components/bootstrap/env-file";
import { nodeDir } from "../../components/bootstrap/node-scripts";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import type { Recording } from "../../tools/plan/run";

let ETCD = "";
let ETCDCTL = "";
let ETCDUTL = "";
const N = 3;

/** A member here: its addresses, folder, rewritten config, and its two env files (the node's bootstrap env, the member env). */
interface MemberEnv {
  name: string;
  ip: string;
  client: number;
  peer: number;
  metrics: number;
  dir: string;
  config: string;
  bootEnv: string;
  etcdEnv: string;
}
/** The scripts run as they are: the node files the member's bundle carries byte for byte (checked below). */
const BACKUP = path.join(nodeDir(), "sbin", "etcd-backup.sh");
const RESTORE = path.join(nodeDir(), "sbin", "etcd-restore.sh");

const procs = new Map<string, ChildProcess>();
const logs = new Map<string, WriteStream>();
let root = "";
let rec: Recording;
const members: MemberEnv[] = [];
let caDir = "";
let stubDir = "";
let s3Dir = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command: `out` is stdout (with stderr appended on failure), `err` always stderr. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 20000): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, timeout, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  const code = r.status ?? 1;
  return { code, out: code === 0 ? r.stdout : `${r.stdout}${r.stderr}`, err: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ctl(endpoints: string[], args: string[], withCert = true) {
  const tls = withCert
    ? [`--cacert=${caDir}/ca.crt`, `--cert=${caDir}/client.crt`, `--key=${caDir}/client.key`]
    : [`--cacert=${caDir}/ca.crt`];
  return run(ETCDCTL, [`--endpoints=${endpoints.join(",")}`, ...tls, "--dial-timeout=2s", "--command-timeout=5s", ...args]);
}

const endpoint = (m: MemberEnv) => `https://127.0.0.1:${m.client}`;

async function until<T>(what: string, f: () => T | undefined, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function start(m: MemberEnv, tag: string): void {
  // Opened synchronously: the file exists (and is ours) before etcd writes its first line.
  const log = createWriteStream("", { fd: openSync(path.join(m.dir, `etcd-${tag}.log`), "w") });
  const p = spawn(ETCD, [`--config-file=${m.config}`], { stdio: ["ignore", "pipe", "pipe"] });
  p.stdout!.pipe(log);
  p.stderr!.pipe(log);
  procs.set(m.name, p);
  logs.set(`${m.name}/${tag}`, log);
}

async function stop(m: MemberEnv): Promise<void> {
  const p = procs.get(m.name);
  if (!p) return;
  procs.delete(m.name);
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGKILL");
  });
}

/**
 * What etcd says about its configuration that the test refuses: every warning or error that calls a
 * flag, config key or environment variable deprecated, decommissioned, unrecognized or unknown
 * (etcd 3.6 logs `--<key> is deprecated in 3.6 ...` for a deprecated config-file key, and
 * "unrecognized environment variable" for an ETCD_/ETCDCTL_ variable it does not know).
 */
const CONFIG_COMPLAINT = /deprecat|decommission|unrecognized|unknown (flag|key|field)|not defined|no longer supported/i;
function configComplaints(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) {
      if (CONFIG_COMPLAINT.test(line)) out.push(line);
      continue;
    }
    let entry: { level?: string; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      out.push(`unparsable log line: ${line}`);
      continue;
    }
    if ((entry.level === "warn" || entry.level === "error" || entry.level === "fatal") && CONFIG_COMPLAINT.test(line)) out.push(line);
  }
  return out;
}

/**
 * The complaints in every log written so far by the members. The test polls with synchronous
 * etcdctl calls, during which Node reads nothing from the members' pipes: first let the event loop
 * copy what is buffered (until the logs stop growing), then read the files.
 */
async function memberLogComplaints(): Promise<Record<string, string[]>> {
  const size = () => [...logs.values()].reduce((n, l) => n + l.bytesWritten + l.writableLength, 0);
  for (let last = -1, end = Date.now() + 5000; Date.now() < end;) {
    await sleep(300);
    const now = size();
    if (now === last && [...logs.values()].every((l) => l.writableLength === 0)) break;
    last = now;
  }
  const found: Record<string, string[]> = {};
  for (const key of logs.keys()) {
    const [name, tag] = key.split("/");
    const c = configComplaints(readFileSync(path.join(root, name!, `etcd-${tag}.log`), "utf8"));
    if (c.length > 0) found[key] = c;
  }
  return found;
}

/** `etcd --help` of the built binary: each flag with its description. */
function helpFlags(): Map<string, string> {
  const text = run(ETCD, ["--help"]).out;
  const flags = new Map<string, string>();
  let current = "";
  for (const line of text.split("\n")) {
    const f = /^\s{2}--([a-z0-9-]+)/.exec(line);
    if (f) {
      current = f[1]!;
      flags.set(current, "");
    } else if (current && /^\s{4}\S/.test(line)) {
      flags.set(current, `${flags.get(current)} ${line.trim()}`.trim());
    } else {
      current = "";
    }
  }
  return flags;
}

/** Rewrites only addresses, ports and paths of member `self`'s rendered files. */
function rewrite(text: string, self: MemberEnv): string {
  let t = text;
  for (const m of members) {
    t = t.split(`${m.ip}:2379`).join(`127.0.0.1:${m.client}`).split(`${m.ip}:2380`).join(`127.0.0.1:${m.peer}`);
  }
  t = t.split("127.0.0.1:2381").join(`127.0.0.1:${self.metrics}`);
  t = t.split("/var/lib/etcd-backup").join(path.join(self.dir, "backup"));
  t = t.split("/var/lib/etcd").join(path.join(self.dir, "data"));
  t = t.split("/etc/etcd/pki").join(path.join(self.dir, "pki"));
  return t;
}

function artifact(role: string, p: string): string {
  const f = rec.artifacts.get(role)?.find((x) => x.path === p);
  if (!f) throw new Error(`no artifact ${role}/${p}`);
  return f.content;
}

/** A certificate signed by the test CA with the SANs and usages the library asked for (IP rewritten). */
function mint(dir: string, base: string, cn: string, dnsNames: string[], ips: string[], usages: string[]): void {
  const key = path.join(dir, `${base}.key`);
  const csr = path.join(dir, `${base}.csr`);
  const ext = path.join(dir, `${base}.ext`);
  const eku = usages.flatMap((u) => (u === "server_auth" ? ["serverAuth"] : u === "client_auth" ? ["clientAuth"] : []));
  const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)];
  writeFileSync(
    ext,
    `${san.length ? `subjectAltName=${san.join(",")}\n` : ""}extendedKeyUsage=${eku.join(",")}\nkeyUsage=critical,digitalSignature,keyEncipherment\n`,
  );
  execFileSync(
    "openssl",
    ["req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", key, "-out", csr, "-subj", `/CN=${cn}`],
    { stdio: "ignore" },
  );
  execFileSync(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      path.join(caDir, "ca.crt"),
      "-CAkey",
      path.join(caDir, "ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      path.join(dir, `${base}.crt`),
      "-extfile",
      ext,
    ],
    { stdio: "ignore" },
  );
  chmodSync(key, 0o600);
}

beforeAll(
  async () => {
    // k8sBin waits for (or reuses) the build of the manifest's binaries.
    ETCD = k8sBin("etcd");
    ETCDCTL = k8sBin("etcdctl");
    ETCDUTL = path.join(k8sBinDir(), "etcdutl");
    const missing = [ETCD, ETCDCTL, ETCDUTL].filter((t) => !existsSync(t));
    if (missing.length > 0) {
      throw new Error(
        `missing ${missing.join(", ")}: the test needs etcd, etcdctl and etcdutl ${DEFAULT_VERSIONS.etcd} (npm run -s k8s:bin builds them)`,
      );
    }
    execFileSync("openssl", ["version"]); // throws when openssl is missing

    rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: N }));
    expect(rec.errors).toEqual([]);

    root = mkdtempSync(path.join(tmpdir(), "etcd-real-"));
    caDir = path.join(root, "ca");
    stubDir = path.join(root, "bin");
    s3Dir = path.join(root, "s3");
    for (const d of [caDir, stubDir, s3Dir]) mkdirSync(d, { recursive: true });
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-keyout",
        path.join(caDir, "ca.key"),
        "-out",
        path.join(caDir, "ca.crt"),
        "-subj",
        "/CN=etcd-ca",
        "-days",
        "1",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      { stdio: "ignore" },
    );
    // The API server's client certificate, with the usages the library requests for it (ClusterPki mints it, the one source).
    const pkiRec = await recordProgram(() => {
      new ClusterPki("pki", { clusterName: "prod", apiName: "api.prod.k8s.example.internal", externalEtcdClient: true });
    });
    expect(pkiRec.errors).toEqual([]);
    const apiCert = inputs(named(pkiRec, "tls:index/locallySignedCert:LocallySignedCert", "pki-apiserver-etcd-client-cert"));
    mint(caDir, "client", "kube-apiserver-etcd-client", [], [], apiCert.allowedUses);

    for (let n = 0; n < N; n++) {
      const name = `etcd-${n}`;
      const config = parseYaml(artifact(name, "etc/etcd/etcd.conf.yml")) as Record<string, string>;
      const ip = /^https:\/\/([\d.]+):2380$/.exec(config["initial-advertise-peer-urls"]!)![1]!;
      const dir = path.join(root, name);
      members.push({
        name,
        ip,
        client: await freePort(),
        peer: await freePort(),
        metrics: await freePort(),
        dir,
        config: path.join(dir, "etcd.conf.yml"),
        bootEnv: path.join(dir, "bootstrap.env"),
        etcdEnv: path.join(dir, "member.env"),
      });
    }
    for (const m of members) {
      mkdirSync(path.join(m.dir, "pki"), { recursive: true });
      mkdirSync(path.join(m.dir, "data"), { recursive: true, mode: 0o700 });
      writeFileSync(m.config, rewrite(artifact(m.name, "etc/etcd/etcd.conf.yml"), m));
      writeFileSync(m.etcdEnv, rewrite(artifact(m.name, "etc/etcd/member.env"), m));
      // The node's bootstrap env as rendered, with the shell helpers where this checkout has them.
      writeFileSync(
        m.bootEnv,
        `${artifact(m.name, "etc/kubeadm-aws/bootstrap.env")}KUBEADM_AWS_LIB=${path.join(nodeDir(), "lib", "lib.sh")}\nKUBEADM_AWS_ETCD_ENV=${m.etcdEnv}\n`,
      );
      expect(artifact(m.name, "usr/local/sbin/etcd-backup")).toBe(readFileSync(BACKUP, "utf8"));
      expect(artifact(m.name, "usr/local/sbin/etcd-restore")).toBe(readFileSync(RESTORE, "utf8"));
      const pki = path.join(m.dir, "pki");
      execFileSync("cp", [path.join(caDir, "ca.crt"), path.join(pki, "ca.crt")]);
      for (const kind of ["server", "peer"]) {
        const csr = inputs(named(rec, "tls:index/certRequest:CertRequest", `etcd-${m.name}-${kind}-csr`));
        const cert = inputs(named(rec, "tls:index/locallySignedCert:LocallySignedCert", `etcd-${m.name}-${kind}-cert`));
        const ips = (csr.ipAddresses as string[]).map((i) => (i === m.ip ? "127.0.0.1" : i));
        mint(pki, kind, csr.subject.commonName, csr.dnsNames, [...new Set(ips)], cert.allowedUses);
      }
    }
    // `aws s3 cp SRC DST` stub: s3://bucket/key lives at $S3_DIR/bucket/key.
    writeFileSync(
      path.join(stubDir, "aws"),
      `#!/bin/bash
set -euo pipefail
args=()
for a in "$@"; do case "$a" in --region|--only-show-errors) ;; *) args+=("$a") ;; esac; done
# drop the region value that followed --region
if [ "\${1:-}" = "--region" ]; then args=("\${args[@]:1}"); fi
[ "\${args[0]}" = s3 ] && [ "\${args[1]}" = cp ] || { echo "aws stub: unsupported: $*" >&2; exit 2; }
src="\${args[2]}"; dst="\${args[3]}"
src="\${src/#s3:\\/\\//$S3_DIR/}"; dst="\${dst/#s3:\\/\\//$S3_DIR/}"
mkdir -p "$(dirname "$dst")"; cp "$src" "$dst"
echo "$*" >> "$S3_DIR/calls.log"
`,
      { mode: 0o755 },
    );
    writeFileSync(path.join(stubDir, "systemctl"), `#!/bin/bash\necho "$*" >> "$SYSTEMCTL_LOG"\n`, { mode: 0o755 });
    // The scripts call etcdctl and etcdutl by name: the built ones come first on PATH.
    symlinkSync(ETCDCTL, path.join(stubDir, "etcdctl"));
    symlinkSync(ETCDUTL, path.join(stubDir, "etcdutl"));
  },
  60 * 60 * 1000,
); // a cold build of the binaries takes tens of minutes; a warm one returns at once

afterAll(async () => {
  for (const m of members) await stop(m);
  for (const l of logs.values()) l.end();
  for (const p of procs.values()) p.kill("SIGKILL");
  if (root) rmSync(root, { recursive: true, force: true });
});

const statusOf = (m: MemberEnv) => {
  const r = ctl([endpoint(m)], ["endpoint", "status", "-w", "json"]);
  if (r.code !== 0) return undefined;
  const [s] = JSON.parse(r.out) as { Status: { header: { member_id: number; cluster_id: number }; leader: number } }[];
  return s!.Status;
};

const scriptEnv = (m: MemberEnv, extra: NodeJS.ProcessEnv = {}) => ({
  PATH: `${stubDir}:${process.env.PATH}`,
  S3_DIR: s3Dir,
  KUBEADM_AWS_ENV: m.bootEnv,
  KUBEADM_AWS_ETCD_ENV: m.etcdEnv,
  ...extra,
});

describe(`a real etcd ${DEFAULT_VERSIONS.etcd} runs the rendered 3-member dedicated on-host cluster`, () => {
  test("the binaries are the manifest's etcd, and the scripts' PATH finds the built etcdctl and etcdutl", () => {
    expect(run(ETCD, ["--version"]).out).toContain(`etcd Version: ${DEFAULT_VERSIONS.etcd}\n`);
    expect(run(ETCDCTL, ["version"]).out).toContain(`etcdctl version: ${DEFAULT_VERSIONS.etcd}\n`);
    expect(run(ETCDUTL, ["version"]).out).toContain(`etcdutl version: ${DEFAULT_VERSIONS.etcd}\n`);
    const found = run("bash", ["-c", "command -v etcdctl; command -v etcdutl"], scriptEnv(members[0]!)).out.trim().split("\n");
    expect(found.map((f) => realpathSync(f))).toEqual([realpathSync(ETCDCTL), realpathSync(ETCDUTL)]);
  });

  test("every key of the rendered config is a current flag of this etcd, none deprecated (etcd ignores unknown keys silently)", () => {
    const flags = helpFlags();
    expect(flags.size).toBeGreaterThan(100);
    // The check can fail: etcd 3.6 dropped enable-v2 and deprecated max-snapshots.
    expect(flags.has("enable-v2")).toBe(false);
    expect(flags.get("max-snapshots")).toMatch(/Deprecated/);
    for (const m of members) {
      const names = configFlagNames(parseYaml(artifact(m.name, "etc/etcd/etcd.conf.yml")) as object);
      expect(names.filter((k) => !flags.has(k))).toEqual([]);
      expect(names.filter((k) => /deprecat|decommission/i.test(flags.get(k) ?? ""))).toEqual([]);
    }
  });

  test("the log check is real: a deprecated key in the same config makes etcd 3.6 warn, and the check reports it", async () => {
    const m = members[0]!;
    const dir = path.join(root, "canary");
    mkdirSync(path.join(dir, "data"), { recursive: true, mode: 0o700 });
    const cfg = parseYaml(readFileSync(m.config, "utf8")) as Record<string, unknown>;
    const [client, peer, metrics] = [await freePort(), await freePort(), await freePort()];
    const canary = {
      ...cfg,
      "max-snapshots": 5,
      "data-dir": path.join(dir, "data"),
      "listen-client-urls": `https://127.0.0.1:${client}`,
      "advertise-client-urls": `https://127.0.0.1:${client}`,
      "listen-peer-urls": `https://127.0.0.1:${peer}`,
      "initial-advertise-peer-urls": `https://127.0.0.1:${peer}`,
      "listen-metrics-urls": `http://127.0.0.1:${metrics}`,
      "initial-cluster": `${m.name}=https://127.0.0.1:${peer}`,
    };
    writeFileSync(path.join(dir, "etcd.conf.yml"), stringify(canary));
    const p = spawn(ETCD, [`--config-file=${path.join(dir, "etcd.conf.yml")}`], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    p.stdout!.on("data", (d: Buffer) => (text += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (text += d.toString()));
    try {
      await until("the canary's configuration to be read", () => (text.includes("starting an etcd server") ? true : undefined));
    } finally {
      await new Promise<void>((resolve) => {
        if (p.exitCode !== null) return resolve();
        p.once("exit", () => resolve());
        p.kill("SIGKILL");
      });
    }
    expect(configComplaints(text)).toEqual([expect.stringContaining("--max-snapshots is deprecated in 3.6")]);
  });

  test("the rewrite touched only addresses, ports and paths", () => {
    for (const m of members) {
      const original = parseYaml(artifact(m.name, "etc/etcd/etcd.conf.yml")) as Record<string, unknown>;
      const rewritten = parseYaml(readFileSync(m.config, "utf8")) as Record<string, unknown>;
      expect(Object.keys(rewritten)).toEqual(Object.keys(original));
      const changed = Object.keys(original)
        .filter((k) => JSON.stringify(original[k]) !== JSON.stringify(rewritten[k]))
        .sort();
      expect(changed).toEqual([
        "advertise-client-urls",
        "client-transport-security",
        "data-dir",
        "initial-advertise-peer-urls",
        "initial-cluster",
        "listen-client-urls",
        "listen-metrics-urls",
        "listen-peer-urls",
        "peer-transport-security",
      ]);
      expect(readFileSync(m.config, "utf8")).not.toContain(m.ip);
      const env = parseEnvFile(artifact(m.name, "etc/etcd/member.env"));
      const envNow = parseEnvFile(readFileSync(m.etcdEnv, "utf8"));
      expect(Object.keys(envNow)).toEqual(Object.keys(env));
      expect(
        Object.keys(env)
          .filter((k) => env[k] !== envNow[k])
          .sort(),
      ).toEqual([
        "KUBEADM_AWS_ETCD_BACKUP_DIR",
        "KUBEADM_AWS_ETCD_CACERT",
        "KUBEADM_AWS_ETCD_CERT",
        "KUBEADM_AWS_ETCD_DATA_DIR",
        "KUBEADM_AWS_ETCD_ENDPOINT",
        "KUBEADM_AWS_ETCD_HEALTH_URL",
        "KUBEADM_AWS_ETCD_INITIAL_CLUSTER",
        "KUBEADM_AWS_ETCD_KEY",
        "KUBEADM_AWS_ETCD_PEER_URL",
        "KUBEADM_AWS_ETCD_PKI_DIR",
      ]);
    }
  });

  test("all members become healthy over TLS with client certificates", async () => {
    for (const m of members) start(m, "first");
    const eps = members.map(endpoint);
    await until("cluster health", () => (ctl(eps, ["endpoint", "health"]).code === 0 ? true : undefined));
    const list = ctl([eps[0]!], ["member", "list", "-w", "simple"]);
    expect(list.code).toBe(0);
    for (const m of members) expect(list.out).toContain(`${m.name}, https://127.0.0.1:${m.peer}, https://127.0.0.1:${m.client}`);
    expect(configComplaints(list.out + list.err)).toEqual([]);
    // The rendered configuration starts with no complaint about a flag, key or variable.
    expect(await memberLogComplaints()).toEqual({});
    for (const m of members)
      expect(readFileSync(path.join(m.dir, "etcd-first.log"), "utf8")).toContain(`"etcd-version":"${DEFAULT_VERSIONS.etcd}"`);
  });

  test("a client without a certificate is refused, on the client and on the peer port", async () => {
    const r = ctl([endpoint(members[0]!)], ["put", "x", "y"], false);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/certificate|tls|handshake|deadline/i);
    const peerGet = (withCert: boolean) =>
      new Promise<number | string>((resolve) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: members[0]!.peer,
            path: "/members",
            method: "GET",
            ca: readFileSync(path.join(caDir, "ca.crt")),
            timeout: 5000,
            ...(withCert ? { cert: readFileSync(path.join(caDir, "client.crt")), key: readFileSync(path.join(caDir, "client.key")) } : {}),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", (e) => resolve(e.message));
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.end();
      });
    expect(typeof (await peerGet(false))).toBe("string"); // TLS handshake rejected: no HTTP status at all
    expect(await peerGet(true)).toBe(200);
  });

  test("a write is accepted after the leader is killed", async () => {
    const eps = members.map(endpoint);
    expect(ctl(eps, ["put", "/registry/before", "written-before"]).code).toBe(0);
    const s = await until("a leader", () => statusOf(members[0]!));
    const leader = members.find((m) => statusOf(m)?.header.member_id === s.leader)!;
    expect(leader).toBeDefined();
    await stop(leader);
    const survivors = members.filter((m) => m !== leader).map(endpoint);
    await until("a write after the leader died", () =>
      ctl(survivors, ["put", "/registry/after-leader-kill", "yes"]).code === 0 ? true : undefined,
    );
    expect(ctl(survivors, ["get", "/registry/after-leader-kill", "--print-value-only"]).out.trim()).toBe("yes");
    const newLeader = statusOf(members.find((m) => m !== leader)!)!.leader;
    expect(newLeader).not.toBe(s.leader);
  });

  let snapshotKey = "";
  test("the rendered backup step: only the leader saves a snapshot, to frequent/ and (first of the day) daily/", () => {
    const alive = members.filter((m) => procs.has(m.name));
    expect(alive).toHaveLength(2);
    const outputs = alive.map((m) => run("bash", [BACKUP], scriptEnv(m), 30000));
    for (const o of outputs) expect(o.code).toBe(0);
    // etcdctl 3.6 had nothing to complain about (it logs ETCDCTL_API=3 as an unrecognized variable).
    for (const o of outputs) expect(configComplaints(o.out + o.err)).toEqual([]);
    expect(outputs.filter((o) => /etcd-backup\[etcd-\d\]: etcd-\d is not the leader/.test(o.err))).toHaveLength(1);
    const frequent = readdirSync(path.join(s3Dir, "prod-etcd-backups-abc", "frequent", "prod"));
    expect(frequent).toHaveLength(1);
    expect(frequent[0]).toMatch(/^\d{8}T\d{6}Z-etcd-\d\.db$/);
    const days = readdirSync(path.join(s3Dir, "prod-etcd-backups-abc", "daily", "prod"));
    expect(days).toEqual([new Date().toISOString().slice(0, 10)]);
    snapshotKey = `s3://prod-etcd-backups-abc/frequent/prod/${frequent[0]}`;
    // A second run the same day uploads a new frequent snapshot but no second daily one.
    const again = alive.map((m) => run("bash", [BACKUP], scriptEnv(m), 30000));
    for (const o of again) expect(o.code).toBe(0);
    expect(readdirSync(path.join(s3Dir, "prod-etcd-backups-abc", "daily", "prod", days[0]!))).toHaveLength(1);
  });

  test("the rendered restore step brings every member up from the snapshot with the keys intact", async () => {
    const oldCluster = statusOf(members.find((m) => procs.has(m.name))!)!.header.cluster_id;
    for (const m of members) await stop(m);
    // Written after the snapshot? No: stop first, so the snapshot is the only source of data.
    for (const m of members) {
      const log = path.join(m.dir, "systemctl.log");
      const r = run("bash", [RESTORE, snapshotKey], scriptEnv(m, { SYSTEMCTL_LOG: log }), 30000);
      expect(r.code).toBe(0);
      expect(configComplaints(r.out + r.err)).toEqual([]);
      expect(readFileSync(log, "utf8")).toBe("stop etcd.service\nstart etcd.service\n");
      const kept = readdirSync(path.join(m.dir, "data")).filter((f) => f.startsWith("member.pre-restore-"));
      expect(kept).toHaveLength(1);
    }
    for (const m of members) start(m, "restored");
    const eps = members.map(endpoint);
    await until("restored cluster health", () => (ctl(eps, ["endpoint", "health"]).code === 0 ? true : undefined));
    expect(ctl(eps, ["get", "/registry/before", "--print-value-only"]).out.trim()).toBe("written-before");
    expect(ctl(eps, ["get", "/registry/after-leader-kill", "--print-value-only"]).out.trim()).toBe("yes");
    expect(statusOf(members[0]!)!.header.cluster_id).not.toBe(oldCluster);
    expect(ctl(eps, ["put", "/registry/after-restore", "ok"]).code).toBe(0);
    // Neither the first start, nor the restart from restored data, complained about its configuration.
    expect(await memberLogComplaints()).toEqual({});
  });

  test("without etcdutl the restore script stops nothing and says why", () => {
    const m = members[0]!;
    const bare = path.join(root, "bare-bin");
    mkdirSync(bare, { recursive: true });
    symlinkSync(path.join(stubDir, "systemctl"), path.join(bare, "systemctl"));
    const log = path.join(root, "bare-systemctl.log");
    const r = run(
      "/bin/bash",
      [RESTORE, snapshotKey],
      { PATH: bare, SYSTEMCTL_LOG: log, KUBEADM_AWS_ENV: m.bootEnv, KUBEADM_AWS_ETCD_ENV: m.etcdEnv },
      30000,
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `etcd-restore[${m.name}]: etcdutl is not installed (etcd >= 3.6 restores only with etcdutl); nothing was changed`,
    );
    expect(existsSync(log)).toBe(false);
  });
});
