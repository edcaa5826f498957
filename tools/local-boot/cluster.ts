/**
 * A local cluster booted from a stack's exact user data (docs/local-boot.md): the VPC and AWS
 * stand-ins, one nspawn machine per instance, and the watch that tells when every node is Ready
 * or when a machine's boot failed (then the error carries the machine's own log lines).
 *
 * Two parts of a real cluster cannot run here and are done by the harness, by name:
 * - the pod network: the project ships no CNI yet (the add-ons issue), so each node gets the CNI
 *   reference `bridge` plugin on the pod range the controller-manager gave it, and every other
 *   machine a route to that range (what a VPC route table or an overlay would do);
 * - the AWS cloud controller manager's node initialisation (it needs EC2): the harness sets the
 *   node's addresses (InternalIP, InternalDNS, Hostname) and provider ID and removes the
 *   `node.cloudprovider.kubernetes.io/uninitialized` taint.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { k8sBinDir } from "../../tests/helpers/k8s-bin";
import { AwsStandIns, type MachineIdentity } from "./aws";
import { LocalVpc } from "./network";
import { Machine } from "./nspawn";
import type { Launch, LocalPlan } from "./plan";

/** The boot unit every role runs (components/bootstrap/files.ts). */
import { UNITS } from "../../components/bootstrap/paths";

export const UNINITIALIZED_TAINT = "node.cloudprovider.kubernetes.io/uninitialized";

export interface LocalMachine {
  name: string;
  launch: Launch;
  identity: MachineIdentity;
  machine: Machine;
  netns: string;
}

export class BootFailure extends Error {}

/** Loop devices of local runs' volumes (of one run folder when given). */
export function attachedVolumes(runDir = "/pka-boot-"): string[] {
  const list = spawnSync("losetup", ["-l", "-n", "-O", "NAME,BACK-FILE"], { encoding: "utf8" }).stdout ?? "";
  return list
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([dev, file]) => dev && file?.includes(runDir))
    .map(([dev]) => dev!);
}

/** Detaches the loop devices of a run's volumes (all local runs' when no folder is given). */
export function detachVolumes(runDir = "/pka-boot-"): void {
  for (const dev of attachedVolumes(runDir)) spawnSync("losetup", ["-d", dev]);
}

/**
 * kube-proxy sets `nf_conntrack_max` (its default: 32768 per core, at least 131072) unless it already has
 * that value. The setting is global, writable only from the host's network namespace, where kube-proxy
 * runs on EC2; here each node has its own namespace, so the host sets the value kube-proxy would.
 */
const CONNTRACK_MAX = "/proc/sys/net/netfilter/nf_conntrack_max";
function hostConntrackMax(): string {
  const before = fs.readFileSync(CONNTRACK_MAX, "utf8").trim();
  fs.writeFileSync(CONNTRACK_MAX, `${Math.max(32768 * os.cpus().length, 131072)}\n`);
  return before;
}

function hostnameOf(ip: string, region: string): string {
  return `ip-${ip.replace(/\./g, "-")}.${region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`}`;
}

export class LocalCluster {
  readonly vpc: LocalVpc;
  readonly aws: AwsStandIns;
  readonly machines: LocalMachine[] = [];
  /** Machines a layout or fault took away on purpose (killed, replaced): not counted, not watched. */
  readonly removed = new Set<LocalMachine>();
  readonly kubeconfig: string;
  private next = 0;

  constructor(
    readonly plan: LocalPlan,
    readonly image: string,
    readonly runDir: string,
    readonly log: (l: string) => void,
  ) {
    fs.mkdirSync(runDir, { recursive: true });
    this.vpc = new LocalVpc(plan.clusterName.slice(0, 8), plan.vpcCidr);
    this.aws = new AwsStandIns(this.vpc, plan, runDir);
    this.kubeconfig = path.join(runDir, "admin.conf");
    fs.writeFileSync(this.kubeconfig, plan.adminKubeconfig, { mode: 0o600 });
  }

  private conntrackBefore?: string;

  async start(): Promise<void> {
    this.conntrackBefore = hostConntrackMax();
    this.vpc.create();
    await this.aws.startAll();
    const cps = this.plan.launches.filter((l) => l.kind === "control-plane");
    this.cpAddresses = cps.map((_, i) => this.vpc.addresses.machine(i));
    this.next = cps.length;
    this.aws.startLoadBalancer(cps.map((l, i) => ({ name: l.role, ip: this.cpAddresses[i]! })));
  }

  private cpAddresses: string[] = [];

  /** Prepares a machine for a launch (its own root copied from the image, its seed) without booting it. */
  prepare(launch: Launch, opts: { zone?: string; name?: string } = {}): LocalMachine {
    const cpIndex = launch.kind === "control-plane" ? this.plan.launches.filter((l) => l.kind === "control-plane").indexOf(launch) : -1;
    const ip = launch.fixedIp ?? (cpIndex >= 0 ? this.cpAddresses[cpIndex]! : this.vpc.addresses.machine(this.next++));
    const name = opts.name ?? `${launch.role}-${this.machines.filter((m) => m.launch === launch).length}`;
    const zone = opts.zone ?? launch.availabilityZone ?? `${this.plan.region}a`;
    const identity: MachineIdentity = {
      name,
      ip,
      hostname: hostnameOf(ip, this.plan.region),
      instanceId: this.aws.launchInstance(zone),
      zone,
      region: this.plan.region,
      role: `${this.plan.clusterName}-${launch.role}`,
    };
    const dir = path.join(this.runDir, "machines", name);
    const root = path.join(dir, "root");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const cp = spawnSync("cp", ["-a", "--reflink=auto", this.image, root], { encoding: "utf8" });
    if (cp.status !== 0) throw new Error(`copying the image for ${name}: ${cp.stderr}`);
    this.seed(root, launch.userData, identity);
    const netns = this.vpc.addMachine(name, ip);
    this.aws.addMachine(identity);
    const binds = launch.volume ? this.attachVolume(launch.volume) : [];
    const m: LocalMachine = {
      name,
      launch,
      identity,
      machine: new Machine({ root, machine: name, netns, binds }, path.join(dir, "console.log")),
      netns,
    };
    this.machines.push(m);
    return m;
  }

  /**
   * What the instance has that is not in its user data: the NoCloud seed (EC2's datasource), the VPC
   * resolver (DHCP on EC2), and the AWS CLI's endpoint (moto instead of AWS's); and what differs
   * because these are containers on a cgroup v1 host (each named below).
   */
  private seed(root: string, userData: string, id: MachineIdentity): void {
    const w = (p: string, content: string, mode = 0o644) => {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), content, { mode });
    };
    w("var/lib/cloud/seed/nocloud/user-data", userData, 0o600);
    w("var/lib/cloud/seed/nocloud/meta-data", `instance-id: ${id.instanceId}\nlocal-hostname: ${id.hostname}\n`);
    w("etc/cloud/cloud.cfg.d/90-local-boot.cfg", "datasource_list: [ NoCloud ]\nnetwork:\n  config: disabled\n");
    fs.rmSync(path.join(root, "etc/resolv.conf"), { force: true });
    w("etc/resolv.conf", `nameserver ${this.vpc.addresses.dns}\n`);
    // The host configures eth0 before the machine boots (what EC2's DHCP does); systemd-networkd, which
    // the first boot's presets enable, would wait for a udev that containers do not run.
    // chrony: the machines share the host's clock (and Amazon's time service is not here); it would hold
    // multi-user.target, and with it cloud-final, waiting for a source.
    for (const unit of [
      "systemd-networkd.service",
      "systemd-networkd.socket",
      "systemd-networkd-wait-online.service",
      "chrony.service",
      "chrony-wait.service",
    ]) {
      fs.rmSync(path.join(root, "etc/systemd/system", unit), { force: true });
      fs.symlinkSync("/dev/null", path.join(root, "etc/systemd/system", unit));
    }
    w("root/.aws/config", `[default]\nendpoint_url = ${this.aws.endpoint}\n`, 0o600);
    // The cgroup v1 host, the one difference the node software must be told of: kubelet 1.35+ refuses
    // cgroup v1 unless told, and kubeadm's preflight with it (machine/kubeadm skips that one check).
    w("etc/default/kubelet", "KUBELET_EXTRA_ARGS=--fail-cgroupv1=false\n");
    w("usr/local/sbin/kubeadm", fs.readFileSync(path.join(__dirname, "machine", "kubeadm"), "utf8"), 0o755);
    // This host's capability bounding set lacks CAP_SYS_RESOURCE, so no process here may lower an OOM score
    // (the kubelet asks -998 for pod sandboxes): containerd keeps scores at or above its own, through the
    // image's conf.d drop-in folder (packer/scripts/20-containerd.sh imports it).
    w(
      "etc/containerd/conf.d/90-local-boot.toml",
      "version = 3\n\n[plugins.'io.containerd.cri.v1.runtime']\n  restrict_oom_score_adj = true\n",
    );
  }

  /**
   * Replaces a machine as its group or `pulumi up` would: the old one is killed and unplugged (its
   * instance terminated), a new instance of the same launch boots with a fresh disk. A control-plane
   * replacement takes the same address (the load balancer's target).
   */
  async replace(m: LocalMachine): Promise<LocalMachine> {
    await this.remove(m);
    this.aws.terminateInstance(m.identity.instanceId);
    this.vpc.removeMachine(m.netns);
    const fresh = this.prepare(m.launch, { name: `${m.launch.role}-${this.machines.filter((x) => x.launch === m.launch).length}` });
    this.boot(fresh);
    return fresh;
  }

  /**
   * An EBS data volume: a sparse file per volume id (it outlives the machines, as the volume outlives
   * instances) on a loop device, which the machine sees at the attachment's device name and at its own
   * name (mount finds `UUID=` by scanning the devices /proc/partitions names).
   */
  private attachVolume(v: { volumeId: string; deviceName: string }): string[] {
    const file = path.join(this.runDir, "volumes", `${v.volumeId}.img`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) {
      fs.writeFileSync(file, "");
      fs.truncateSync(file, 2 * 1024 ** 3);
    }
    const attached = spawnSync("losetup", ["-j", file, "-O", "NAME", "-n"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    const dev = attached || spawnSync("losetup", ["--find", "--show", file], { encoding: "utf8" }).stdout.trim();
    if (!dev.startsWith("/dev/loop")) throw new Error(`cannot attach a loop device for ${v.volumeId}`);
    return [`${dev}:${v.deviceName}`, `${dev}:${dev}`];
  }

  /** Takes a machine away on purpose (pulls the plug); it is no longer counted or watched. */
  async remove(m: LocalMachine): Promise<void> {
    this.removed.add(m);
    await m.machine.kill();
  }

  /** The machines a layout expects to be up: all but those removed on purpose. */
  kept(): LocalMachine[] {
    return this.machines.filter((m) => !this.removed.has(m));
  }

  boot(m: LocalMachine): void {
    this.log(`boot ${m.name} (${m.launch.role}, ${m.identity.ip}, ${m.identity.instanceId})`);
    m.machine.boot();
  }

  /** Until every machine's boot script runs (cloud-init delivered the user data and started the unit). */
  async waitForBootUnits(machines: LocalMachine[], ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const waiting = machines.filter((m) => !/kubeadm-aws\[/.test(this.bootLog(m)));
      if (waiting.length === 0) return;
      for (const m of waiting)
        if (!m.machine.running)
          throw new BootFailure(
            `${m.name} stopped while booting; its console:\n${fs.readFileSync(m.machine.consoleLog, "utf8").slice(-4000)}`,
          );
      if (Date.now() > end) {
        throw new BootFailure(
          `the boot script did not start within ${ms / 1000} s on ${waiting.map((m) => m.name).join(", ")}; cloud-init says:\n${waiting.map((m) => m.machine.journal(["-u", "cloud-init*", "-o", "cat"]).split("\n").slice(-30).join("\n")).join("\n")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Until the API answers `/readyz` through the load balancer, as joiners see it. */
  async waitForApi(ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const r = spawnSync(
        "ip",
        this.vpc.execArgs(["curl", "-sfk", "--max-time", "5", `https://${this.plan.apiName}:${this.plan.apiPort}/readyz`]),
        { encoding: "utf8" },
      );
      if (r.status === 0) return;
      this.checkBoots();
      if (Date.now() > end)
        throw new BootFailure(
          `the API did not answer through the load balancer within ${ms / 1000} s; boot logs:\n${this.machines.map((m) => `--- ${m.name}\n${this.bootLog(m).split("\n").slice(-25).join("\n")}`).join("\n")}`,
        );
      await new Promise((r2) => setTimeout(r2, 2000));
    }
  }

  /** kubectl with the admin kubeconfig, from inside the VPC (the API name resolves there). */
  kubectl(args: string[], timeout = 60_000): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(
      "ip",
      this.vpc.execArgs([path.join(k8sBinDir(), "kubectl"), "--kubeconfig", this.kubeconfig, "--request-timeout=20s", ...args]),
      { encoding: "utf8", timeout, maxBuffer: 64 << 20 },
    );
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  kubectlJson<T>(args: string[]): T | undefined {
    const r = this.kubectl([...args, "-o", "json"]);
    return r.status === 0 ? (JSON.parse(r.stdout) as T) : undefined;
  }

  /** While the node is Ready: when its kubelet last renewed its node lease (every 10 s), else 0. */
  lastReadyHeartbeat(m: LocalMachine): number {
    if (!this.readiness().get(m.identity.hostname)) return 0;
    const lease = this.kubectlJson<{ spec: { renewTime?: string } }>(["-n", "kube-node-lease", "get", "lease", m.identity.hostname]);
    return lease?.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
  }

  /** The machine's boot log (the bootstrap unit's journal lines). */
  bootLog(m: LocalMachine, currentBoot = false): string {
    // Every role boots by the bootstrap unit (a dedicated etcd member's action, etcd-member-boot, runs inside it).
    return m.machine.journal([...(currentBoot ? ["-b"] : []), "-u", UNITS.bootstrap, "-o", "cat"]);
  }

  /** Every `kubeadm-aws[...]` line the machines' boots wrote saying how they bootstrapped (`init`, `join`, or a role's action). */
  bootstrapped(m: LocalMachine): string[] {
    return this.bootLog(m)
      .split("\n")
      .filter((l) => /node bootstrapped \(/.test(l));
  }

  /** Fails fast, with the machine's own log, when a boot gave up or one attempt failed. */
  checkBoots(machines: LocalMachine[] = this.machines, failOnAttempt = false): void {
    for (const m of machines) {
      if (this.removed.has(m)) continue;
      if (!m.machine.running)
        throw new BootFailure(
          `${m.name} (${m.launch.role}) stopped; its console ends:\n${fs.readFileSync(m.machine.consoleLog, "utf8").slice(-3000)}\nits boot log ends:\n${this.bootLog(m).split("\n").slice(-20).join("\n")}`,
        );
      const log = this.bootLog(m);
      const gaveUp =
        /giving up|boot failed|no reset; replace the node|cloud-final.service: Failed with result|kubeadm-aws-bootstrap.service: Failed with result/.test(
          log,
        );
      const attemptFailed = /failed \(attempt \d+\)/.test(log);
      if (gaveUp || (failOnAttempt && attemptFailed)) {
        throw new BootFailure(`${m.name} (${m.launch.role}) failed to boot; its log ends:\n${log.split("\n").slice(-40).join("\n")}`);
      }
    }
  }

  /**
   * The harness's two stand-ins for what cannot run here (see the file comment), applied to every
   * registered node once: bridge CNI on its pod range with routes to it, and the cloud controller's
   * node initialisation.
   */
  networkAndInitialise(): void {
    type Node = {
      metadata: { name: string };
      spec: { podCIDR?: string; providerID?: string; taints?: { key: string }[] };
      status: { addresses?: { type: string; address: string }[] };
    };
    const nodes = this.kubectlJson<{ items: Node[] }>(["get", "nodes"])?.items ?? [];
    for (const n of nodes) {
      // The running machine of that name (a replacement takes its predecessor's address, so its name too).
      const m = this.machines.find((x) => x.identity.hostname === n.metadata.name && x.machine.running);
      if (!m || !n.spec.podCIDR) continue;
      const conf = path.join(m.machine.opts.root, "etc/cni/net.d/10-local-bridge.conflist");
      if (!fs.existsSync(conf)) {
        fs.mkdirSync(path.dirname(conf), { recursive: true });
        fs.writeFileSync(
          conf,
          JSON.stringify(
            {
              cniVersion: "1.0.0",
              name: "local-bridge",
              plugins: [
                {
                  type: "bridge",
                  bridge: "cni0",
                  isGateway: true,
                  ipMasq: true,
                  hairpinMode: true,
                  ipam: { type: "host-local", ranges: [[{ subnet: n.spec.podCIDR }]], routes: [{ dst: "0.0.0.0/0" }] },
                },
                { type: "portmap", capabilities: { portMappings: true } },
              ],
            },
            null,
            2,
          ),
        );
        this.log(`cni: ${n.metadata.name} bridge on ${n.spec.podCIDR}`);
      }
      for (const other of this.machines)
        if (other !== m && other.machine.running) this.vpc.route(other.netns, n.spec.podCIDR, m.identity.ip);
      if ((n.status.addresses ?? []).length === 0) {
        // With an external cloud provider the kubelet leaves the addresses to the cloud controller.
        const addresses = [
          { type: "InternalIP", address: m.identity.ip },
          { type: "InternalDNS", address: m.identity.hostname },
          { type: "Hostname", address: m.identity.hostname },
        ];
        this.kubectl([
          "patch",
          "node",
          n.metadata.name,
          "--subresource=status",
          "--type=merge",
          "-p",
          JSON.stringify({ status: { addresses } }),
        ]);
      }
      if (!n.spec.providerID) {
        this.kubectl([
          "patch",
          "node",
          n.metadata.name,
          "--type=merge",
          "-p",
          JSON.stringify({ spec: { providerID: `aws:///${m.identity.zone}/${m.identity.instanceId}` } }),
        ]);
      }
      if ((n.spec.taints ?? []).some((t) => t.key === UNINITIALIZED_TAINT)) {
        this.kubectl(["taint", "node", n.metadata.name, `${UNINITIALIZED_TAINT}-`]);
        this.log(`cloud-controller stand-in: ${n.metadata.name} initialised`);
      }
    }
  }

  /** Node names → Ready. */
  readiness(): Map<string, boolean> {
    type Node = { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } };
    const nodes = this.kubectlJson<{ items: Node[] }>(["get", "nodes"])?.items ?? [];
    return new Map(nodes.map((n) => [n.metadata.name, (n.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")]));
  }

  /** Waits until every given machine's node is Ready, applying the stand-ins and failing fast on a failed boot. */
  async waitReady(machines: LocalMachine[], ms: number, opts: { failOnAttempt?: boolean } = {}): Promise<number> {
    const end = Date.now() + ms;
    for (;;) {
      this.checkBoots(machines, opts.failOnAttempt);
      this.networkAndInitialise();
      const ready = this.readiness();
      const n = machines.filter((m) => ready.get(m.identity.hostname)).length;
      if (n === machines.length) return n;
      if (Date.now() > end) {
        const logs = machines
          .filter((m) => !ready.get(m.identity.hostname))
          .map((m) => `--- ${m.name}:\n${this.bootLog(m).split("\n").slice(-25).join("\n")}`);
        throw new BootFailure(`${n}/${machines.length} nodes Ready after ${Math.round(ms / 1000)} s; not Ready:\n${logs.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.machines.map((m) => m.machine.kill()));
    this.aws.stopAll();
    detachVolumes(this.runDir);
    if (this.conntrackBefore) fs.writeFileSync(CONNTRACK_MAX, `${this.conntrackBefore}\n`);
  }
}
