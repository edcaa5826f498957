/**
 * Runs the real boot and init-marker scripts as "nodes" on this machine: stub commands for what a
 * node does to itself (kubeadm, systemctl, IMDS, the API's /readyz), the real AWS CLI against a
 * moto server for what it asks AWS (DynamoDB, EC2, Auto Scaling). A missing tool fails the test.
 */
import { spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { createServer } from "net";
import * as path from "path";
import {
  bootScript,
  initLockScript,
  kubernetesModules,
  renderBootstrapEnv,
  renderInitLockEnv,
  type BootstrapEnv,
} from "../../components/bootstrap";
import { writeTree } from "../bootstrap/tools";
import { envWithOverrides } from "../helpers/node-env";

export const REGION = "eu-west-1";

export interface Moto {
  url: string;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `moto_server` on 127.0.0.1 (pip install 'moto[server]'); throws when it is missing or does not answer. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  let failed: Error | undefined;
  child.once("error", (e) => (failed = new Error(`moto_server could not run (${e.message}); pip install 'moto[server]'`)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (failed) throw failed;
    try {
      const r = await fetch(`${url}/moto-api/`);
      if (r.status < 500) return { url, stop: () => child.kill() };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error("moto_server did not answer within 10 s");
}

/** Environment for the real AWS CLI against moto. */
export function awsEnv(moto: Moto): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: moto.url,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  };
}

/** Runs `aws ARGS --output json` against moto; returns the parsed output (throws on failure). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function aws(moto: Moto, ...args: string[]): any {
  const r = spawnSync("aws", [...args, "--region", REGION, "--output", "json"], {
    env: awsEnv(moto),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`aws could not run (${r.error.message}); pip install awscli`);
  if (r.status !== 0) throw new Error(`aws ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim() === "" ? undefined : JSON.parse(r.stdout);
}

let tables = 0;
/** A fresh init marker table, as the cluster's bootstrap creates it (hash key `id`, on demand). */
export function createTable(moto: Moto): string {
  const name = `c${++tables}-${process.pid}-kubeadm-aws-init`;
  aws(
    moto,
    "dynamodb",
    "create-table",
    "--table-name",
    name,
    "--attribute-definitions",
    "AttributeName=id,AttributeType=S",
    "--key-schema",
    "AttributeName=id,KeyType=HASH",
    "--billing-mode",
    "PAY_PER_REQUEST",
  );
  return name;
}

/** The marker item as stored (plain strings), or undefined. */
export function marker(moto: Moto, table: string): Record<string, string> | undefined {
  const out = aws(moto, "dynamodb", "get-item", "--table-name", table, "--key", '{"id":{"S":"init"}}', "--consistent-read");
  if (!out?.Item) return undefined;
  return Object.fromEntries(Object.entries(out.Item as Record<string, { S: string }>).map(([k, v]) => [k, v.S]));
}

export function putMarker(moto: Moto, table: string, item: Record<string, string>): void {
  const ddb = Object.fromEntries(Object.entries({ id: "init", ...item }).map(([k, v]) => [k, { S: v }]));
  aws(moto, "dynamodb", "put-item", "--table-name", table, "--item", JSON.stringify(ddb));
}

/** `count` running instances in moto; returns their ids. */
export function runInstances(moto: Moto, count: number): string[] {
  const image = aws(moto, "ec2", "describe-images", "--query", "Images[0].ImageId") as string;
  const out = aws(moto, "ec2", "run-instances", "--image-id", image, "--instance-type", "t3.micro", "--count", String(count));
  return (out.Instances as { InstanceId: string }[]).map((i) => i.InstanceId);
}

export interface ProcResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (nodes boot in parallel). */
export function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

export interface NodeOptions {
  /** Role, e.g. control-plane-1 or worker-general. */
  role: string;
  instanceId: string;
  controlPlane?: boolean;
  /** Init marker table (control plane); none: no init-lock.env and no lock script. */
  table?: string;
  controlPlaneCount?: number;
  /** The node has an init.yaml (every control-plane node of a Cluster does). @default true */
  initConfig?: boolean;
  env?: Partial<BootstrapEnv>;
  /** kubeadm init outcomes per run: ok | fail (no API) | api-then-fail (its API answered, then it failed). @default ["ok"] */
  init?: string[];
  /** kubeadm join outcomes per run: ok | fail. @default ["ok"] */
  join?: string[];
  /** Extra environment for the boot (e.g. KUBEADM_AWS_BOOT_BUDGET). */
  extraEnv?: Record<string, string>;
  /** Lines appended to the node's env file (what the library renders wins over the process env). */
  envFile?: Record<string, string>;
}

export interface TestNode {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Every stubbed command call, in order. */
  calls(): string[];
}

const STUB_LOG = (name: string) => `#!/bin/sh\necho "${name} $*" >>"$CALLS"\n`;

/** A node directory: env files, the real scripts, stubs; `shared` is the cluster's "API behind the load balancer". */
export function makeNode(shared: string, moto: Moto | undefined, o: NodeOptions): TestNode {
  const cp = o.controlPlane ?? o.role.startsWith("control-plane-");
  const env: BootstrapEnv = {
    role: o.role,
    controlPlane: cp,
    secretId: `t/bootstrap/${o.role}`,
    region: REGION,
    apiEndpoint: "api.t.example.internal:6443",
    joinDelaySeconds: 0,
    apiWaitSeconds: 30,
    maxAttempts: 3,
    tokenTtl: "24h0m0s",
    tokenRefreshHours: 12,
    ...o.env,
  };
  const kubeadm = `#!/bin/bash
echo "kubeadm $*" >>"$CALLS"
next() { # the outcome of run n of $1 (the last one repeats)
  local n; n=$(cat "$NODE_DIR/$1-runs" 2>/dev/null || echo 0); echo $((n + 1)) >"$NODE_DIR/$1-runs"
  read -r -a plan <<<"$2"; local i=$(( n < \${#plan[@]} ? n : \${#plan[@]} - 1 )); echo "\${plan[$i]}"
}
case "$1 $2" in
  "init --config") o=$(next init "$INIT_PLAN")
    case "$o" in ok) touch "$NODE_DIR/local-api-up" "$SHARED/api-up"; exit 0 ;; api-then-fail) touch "$NODE_DIR/local-api-up" "$SHARED/api-up"; /bin/sleep 1; exit 1 ;; *) exit 1 ;; esac ;;
  "join --config") o=$(next join "$JOIN_PLAN"); if [ "$o" = ok ]; then touch "$NODE_DIR/local-api-up"; exit 0; fi; exit 1 ;;
esac
exit 0
`;
  const curl = `#!/bin/sh
case "$*" in
  *api/token*) echo token ;;
  *meta-data/local-hostname*) echo "ip-\${INSTANCE_ID#i-}.${REGION}.compute.internal" ;;
  *meta-data/instance-id*) echo "$INSTANCE_ID" ;;
  *127.0.0.1:6443/readyz*) [ -f "$NODE_DIR/local-api-up" ] ;;
  *readyz*) [ -f "$SHARED/api-up" ] ;;
  *) exit 22 ;;
esac
`;
  const dir = writeTree(
    [
      { path: "bootstrap.env", content: "" },
      { path: "boot", content: bootScript(), mode: 0o755 },
      { path: "fetch", content: STUB_LOG("fetch"), mode: 0o755 },
      { path: "bin/kubeadm", content: kubeadm, mode: 0o755 },
      { path: "bin/curl", content: curl, mode: 0o755 },
      // Real sleeps, 100 times shorter: waits and retries keep their order, the tests their speed.
      { path: "bin/sleep", content: `#!/bin/sh\nexec /bin/sleep "$(awk "BEGIN { print \${1:-0} / 100 }")"\n`, mode: 0o755 },
      ...["systemctl", "hostnamectl", "modprobe", "sysctl"].map((c) => ({ path: `bin/${c}`, content: STUB_LOG(c), mode: 0o755 })),
      ...(o.table
        ? [
            { path: "init-lock.env", content: renderInitLockEnv({ table: o.table, controlPlaneCount: o.controlPlaneCount ?? 3 }) },
            { path: "init-lock", content: initLockScript(), mode: 0o755 },
          ]
        : []),
      ...((o.initConfig ?? true) && cp ? [{ path: "init.yaml", content: "kind: InitConfiguration\n" }] : []),
      { path: "modules.conf", content: kubernetesModules() },
    ],
    "boot-node-",
  );
  mkdirSync(path.join(dir, "state"), { recursive: true });
  writeFileSync(path.join(dir, "calls"), "");
  const paths = {
    KUBEADM_AWS_FETCH: path.join(dir, "fetch"),
    KUBEADM_AWS_LOCK_ENV: path.join(dir, "init-lock.env"),
    KUBEADM_AWS_INIT_LOCK: path.join(dir, "init-lock"),
    KUBEADM_AWS_STATE_DIR: path.join(dir, "state"),
    KUBEADM_AWS_INIT_CONFIG: path.join(dir, "init.yaml"),
    KUBEADM_AWS_KUBELET_CONF: path.join(dir, "kubelet.conf"),
    KUBEADM_AWS_BOOTSTRAPPED: path.join(dir, "state", "bootstrapped"),
    KUBEADM_AWS_MODULES: path.join(dir, "modules.conf"),
    ...o.envFile,
  };
  writeFileSync(path.join(dir, "bootstrap.env"), envWithOverrides(renderBootstrapEnv(env), paths));
  const nodeEnv: NodeJS.ProcessEnv = {
    ...(moto ? awsEnv(moto) : process.env),
    PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
    CALLS: path.join(dir, "calls"),
    NODE_DIR: dir,
    SHARED: shared,
    INSTANCE_ID: o.instanceId,
    INIT_PLAN: (o.init ?? ["ok"]).join(" "),
    JOIN_PLAN: (o.join ?? ["ok"]).join(" "),
    KUBEADM_AWS_ENV: path.join(dir, "bootstrap.env"),
    ...o.extraEnv,
  };
  return {
    dir,
    env: nodeEnv,
    calls: () =>
      readFileSync(path.join(dir, "calls"), "utf8")
        .split("\n")
        .filter((l) => l !== ""),
  };
}

/** Boots a node (the real kubeadm-aws-boot). */
export function boot(node: TestNode): Promise<ProcResult> {
  return runAsync("bash", [path.join(node.dir, "boot")], node.env);
}

/** Runs one init-lock subcommand as a node (its instance id from the env, as the boot exports it). */
export function lock(node: TestNode, ...args: string[]): Promise<ProcResult> {
  return runAsync("bash", [path.join(node.dir, "init-lock"), ...args], { ...node.env, KUBEADM_AWS_INSTANCE_ID: node.env.INSTANCE_ID });
}

export const stateFile = (node: TestNode, f: string) => existsSync(path.join(node.dir, "state", f));
export const kubeadmCalls = (node: TestNode) => node.calls().filter((c) => c.startsWith("kubeadm "));
