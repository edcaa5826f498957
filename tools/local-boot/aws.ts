/**
 * AWS, stood in for inside the local VPC (docs/local-boot.md, "AWS, stood in for"), each a real peer
 * that can fail the boot:
 * - moto (PyPI) serves Secrets Manager, DynamoDB, EC2 and Auto Scaling: machines reach it through the
 *   AWS CLI's `endpoint_url`; the bundles, the init marker table, the instances and groups the plan
 *   declares are created in it from the plan's own resources;
 * - the instance metadata service (imds-server.js, IMDSv2) answers every machine by its address,
 *   including the instance role's credentials, so no credential file is on a machine;
 * - HAProxy (Debian) is the API load balancer: TCP on the API port, with the target group's
 *   `/readyz` health check over HTTPS, interval and thresholds;
 * - dnsmasq (Debian) is the VPC resolver at `.2`: the private zone (the API name → load balancer)
 *   and the machines' private DNS names.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { IMDS_ADDRESS, type LocalVpc } from "./network";
import type { LocalPlan } from "./plan";

export const MOTO_PORT = 5000;

export interface MachineIdentity {
  name: string;
  ip: string;
  hostname: string;
  instanceId: string;
  zone: string;
  region: string;
  /** The instance profile's role name (what IMDS's security-credentials lists). */
  role: string;
}

export class AwsStandIns {
  private readonly procs: ChildProcess[] = [];
  private readonly identities = new Map<string, MachineIdentity>();
  readonly endpoint: string;

  constructor(
    readonly vpc: LocalVpc,
    readonly plan: LocalPlan,
    readonly dir: string,
  ) {
    this.endpoint = `http://${vpc.addresses.aws}:${MOTO_PORT}`;
  }

  private start(name: string, cmd: string[]): ChildProcess {
    const log = fs.openSync(path.join(this.dir, `${name}.log`), "a");
    const p = spawn("ip", this.vpc.execArgs(cmd), { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    this.procs.push(p);
    return p;
  }

  /** The AWS CLI against moto, from the VPC (the harness's own calls: it plays the Pulumi deployment). */
  aws(args: string[], allowFail = false): string {
    const r = spawnSync(
      "ip",
      this.vpc.execArgs(["aws", "--endpoint-url", this.endpoint, "--region", this.plan.region, "--output", "json", ...args]),
      {
        encoding: "utf8",
        env: { ...process.env, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_PAGER: "" },
        timeout: 60_000,
        maxBuffer: 64 << 20,
      },
    );
    if (r.status !== 0 && !allowFail)
      throw new Error(`aws ${args.slice(0, 2).join(" ")}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
    return r.stdout;
  }

  async startAll(): Promise<void> {
    const a = this.vpc.addresses;
    this.start("moto", ["moto_server", "-H", a.aws, "-p", String(MOTO_PORT)]);
    this.writeMachines();
    this.start("imds", [process.execPath, path.join(__dirname, "imds-server.js"), path.join(this.dir, "imds.json"), IMDS_ADDRESS, "80"]);
    this.writeHosts();
    this.start("dnsmasq", [
      "dnsmasq",
      "--keep-in-foreground",
      "--user=root",
      "--no-resolv",
      "--no-hosts",
      "--bind-interfaces",
      `--listen-address=${a.dns}`,
      `--addn-hosts=${path.join(this.dir, "hosts")}`,
      "--log-facility=-",
      `--pid-file=${path.join(this.dir, "dnsmasq.pid")}`,
    ]);
    await this.waitFor(
      () => spawnSync("ip", this.vpc.execArgs(["curl", "-sf", `${this.endpoint}/moto-api/`]), { encoding: "utf8" }).status === 0,
      "moto",
      60_000,
    );
    this.seed();
  }

  /** Creates what the plan's resources declare and the boot reads: the bundles, the init marker table. */
  private seed(): void {
    for (const [name, value] of Object.entries(this.plan.secrets)) {
      this.withSecretFile(value, (file) =>
        this.aws(["secretsmanager", "create-secret", "--name", name, "--secret-string", `file://${file}`]),
      );
    }
    for (const b of this.plan.buckets)
      this.aws(["s3api", "create-bucket", "--bucket", b, "--create-bucket-configuration", `LocationConstraint=${this.plan.region}`]);
    for (const t of this.plan.tables) {
      this.aws([
        "dynamodb",
        "create-table",
        "--table-name",
        t.name,
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--attribute-definitions",
        ...t.attributes.map((x) => `AttributeName=${x.name},AttributeType=${x.type}`),
        "--key-schema",
        `AttributeName=${t.hashKey},KeyType=HASH`,
      ]);
    }
  }

  /** Replaces a secret's value (Pulumi rotating the token: a new secret version). */
  putSecret(name: string, value: string): void {
    this.withSecretFile(value, (file) =>
      this.aws(["secretsmanager", "put-secret-value", "--secret-id", name, "--secret-string", `file://${file}`]),
    );
  }

  /** A secret value in a 0600 file for the CLI (never on its command line), removed whatever happens. */
  private withSecretFile<T>(value: string, use: (file: string) => T): T {
    const file = path.join(this.dir, "secret.json");
    fs.writeFileSync(file, value, { mode: 0o600 });
    try {
      return use(file);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** A new "instance": launched in moto's EC2 (so the init marker can ask whether it is alive). */
  launchInstance(zone: string): string {
    const image = JSON.parse(this.aws(["ec2", "describe-images", "--owners", "amazon", "--query", "Images[0].ImageId"])) as string;
    const out = JSON.parse(
      this.aws([
        "ec2",
        "run-instances",
        "--image-id",
        image,
        "--count",
        "1",
        "--instance-type",
        "m5.large",
        "--placement",
        `AvailabilityZone=${zone}`,
      ]),
    ) as { Instances: { InstanceId: string }[] };
    return out.Instances[0]!.InstanceId;
  }

  terminateInstance(id: string): void {
    this.aws(["ec2", "terminate-instances", "--instance-ids", id]);
  }

  addMachine(m: MachineIdentity): void {
    this.identities.set(m.name, m);
    this.writeMachines();
    this.writeHosts();
    const pid = this.pidOf("dnsmasq.pid");
    if (pid)
      try {
        process.kill(pid, "SIGHUP");
      } catch {
        /* not yet up */
      }
  }

  private pidOf(file: string): number | undefined {
    const p = path.join(this.dir, file);
    return fs.existsSync(p) ? Number(fs.readFileSync(p, "utf8").trim()) : undefined;
  }

  private writeMachines(): void {
    const map: Record<string, MachineIdentity> = {};
    for (const m of this.identities.values()) map[m.ip] = m;
    fs.writeFileSync(path.join(this.dir, "imds.json.tmp"), JSON.stringify(map));
    fs.renameSync(path.join(this.dir, "imds.json.tmp"), path.join(this.dir, "imds.json"));
  }

  private writeHosts(): void {
    const lines = [
      `${this.vpc.addresses.apiLb} ${this.plan.apiName}`,
      ...this.plan.records.map((r) => `${r.ip} ${r.name}`),
      ...[...this.identities.values()].map((m) => `${m.ip} ${m.hostname}`),
    ];
    fs.writeFileSync(path.join(this.dir, "hosts"), `${lines.join("\n")}\n`);
  }

  /** The API load balancer: the target group's port and health check, over the control-plane machines. */
  startLoadBalancer(targets: { name: string; ip: string }[]): void {
    const hc = this.plan.healthCheck;
    const cfg = `global
  log stdout format raw local0 info
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 10m
  timeout server 10m
frontend api
  bind ${this.vpc.addresses.apiLb}:${this.plan.apiPort}
  default_backend control_plane
backend control_plane
  option httpchk GET ${hc.path}
  http-check expect status ${hc.matcher}
  timeout check ${hc.timeout}s
${targets.map((t) => `  server ${t.name} ${t.ip}:${this.plan.apiPort} check${hc.protocol === "HTTPS" ? " check-ssl verify none" : ""} inter ${hc.interval}s rise ${hc.healthyThreshold} fall ${hc.unhealthyThreshold}`).join("\n")}
`;
    fs.writeFileSync(path.join(this.dir, "haproxy.cfg"), cfg);
    this.start("haproxy", ["haproxy", "-db", "-f", path.join(this.dir, "haproxy.cfg")]);
  }

  private async waitFor(check: () => boolean, what: string, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`${what} did not start within ${ms / 1000} s (see ${this.dir})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  stopAll(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill("SIGKILL");
  }
}
