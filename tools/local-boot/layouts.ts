/**
 * The layouts the tiers use, each planned from a stack file, and the faults each survives
 * (docs/local-boot.md, "Layouts").
 */
import * as path from "node:path";
import { UNITS } from "../../components/bootstrap/paths";
import { DEFAULT_ETCD_PATHS, PKI_FILES } from "../../components/etcd/config";
import { DEFAULT_ETCD_PORTS } from "../../components/etcd/members";
import type { PlanOptions } from "../plan/run";
import { BootFailure, type LocalCluster, type LocalMachine } from "./cluster";
import { exactlyOneInit, initMarker } from "./checks";
import type { Launch, LocalPlan } from "./plan";

export type LayoutName = "dev" | "standard" | "critical";

export interface FaultContext {
  testImage: string;
  log: (l: string) => void;
}

export interface Fault {
  name: string;
  /** Runs the fault and its checks; returns what it established. */
  run(c: LocalCluster, ctx: FaultContext): Promise<string>;
}

export interface Layout {
  plan: PlanOptions;
  /** The launches to boot first: every control-plane instance, etcd member, and `n` machines of pools. */
  machines(plan: LocalPlan): Launch[];
  /**
   * Boots the machines (all at once, as EC2 launches them) and returns those that must end Ready; a
   * layout may interfere while they boot. @default every machine, nothing else
   */
  boot?(c: LocalCluster, machines: LocalMachine[], facts: Record<string, string>): Promise<LocalMachine[]>;
  faults: Fault[];
}

const controlPlane = (p: LocalPlan) => p.launches.filter((l) => l.kind === "control-plane");
const pools = (p: LocalPlan) => p.launches.filter((l) => l.kind === "pool");

function worker(c: LocalCluster): LocalMachine {
  const w = c.machines.find((m) => m.launch.kind === "pool" && m.machine.running);
  if (!w) throw new Error("no running worker");
  return w;
}

/** Restart a joined node: it comes back Ready, with no second init (its boot sees kubelet.conf). */
export const restartJoinedNode: Fault = {
  name: "restart-joined-node",
  async run(c) {
    const w = worker(c);
    await w.machine.stop();
    if (w.machine.running) throw new Error(`${w.name} did not stop`);
    const restarted = Date.now();
    w.machine.boot();
    // This boot's own lines: its boot script took the restart path, and the kubelet reports Ready again.
    const end = Date.now() + 300_000;
    let line: string | undefined;
    while (
      !(line = c
        .bootLog(w, true)
        .split("\n")
        .find((l) => l.includes("already bootstrapped")))
    ) {
      if (Date.now() > end) throw new Error(`${w.name} did not take the restart path; this boot's log:\n${c.bootLog(w, true)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    while (c.lastReadyHeartbeat(w) <= restarted) {
      if (Date.now() > end) throw new Error(`${w.name} did not report Ready after its restart`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const init = exactlyOneInit(c);
    return `${w.name} Ready again via "${line.trim()}"; the one init is still ${init}`;
  },
};

/** A new bootstrap token, as `random` would mint it. */
function newToken(): string {
  const a = "abcdefghijklmnopqrstuvwxyz0123456789";
  const pick = (n: number) => Array.from({ length: n }, () => a[Math.floor(Math.random() * a.length)]).join("");
  return `${pick(6)}.${pick(16)}`;
}

/**
 * Rotate the token, then boot a new worker: the bundles get the new token (as `pulumi up` writes a
 * new secret version), the control plane's token sync puts it into the cluster, the old one is
 * deleted, and a fresh worker from the same launch template joins with the new one.
 */
export const rotateTokenNewWorker: Fault = {
  name: "rotate-token-new-worker",
  async run(c) {
    const old = c.plan.bootstrapToken;
    const token = newToken();
    for (const [name, value] of Object.entries(c.plan.secrets)) {
      if (!value.includes(old)) continue;
      c.plan.secrets[name] = value.split(old).join(token);
      c.aws.putSecret(name, c.plan.secrets[name]!);
    }
    c.plan.bootstrapToken = token;
    const cp = c.machines.find((m) => m.launch.kind === "control-plane" && m.machine.running)!;
    const sync = cp.machine.exec(["systemctl", "start", UNITS.tokenSyncService], 120_000);
    if (sync.status !== 0)
      throw new Error(
        `token sync failed on ${cp.name}: ${sync.stderr}\n${cp.machine.journal(["-u", UNITS.tokenSyncService, "-o", "cat"])}`,
      );
    const oldId = old.split(".")[0]!;
    c.kubectl(["-n", "kube-system", "delete", "secret", `bootstrap-token-${oldId}`, "--ignore-not-found"]);
    const listed = c.kubectl([
      "-n",
      "kube-system",
      "get",
      "secrets",
      "--field-selector",
      "type=bootstrap.kubernetes.io/token",
      "-o",
      "name",
    ]).stdout;
    if (!listed.includes(`bootstrap-token-${token.split(".")[0]}`))
      throw new Error(`the token sync did not create the new token; tokens: ${listed}`);
    if (listed.includes(`bootstrap-token-${oldId}`)) throw new Error("the old token is still in the cluster");
    const launch = worker(c).launch;
    const fresh = c.prepare(launch);
    c.boot(fresh);
    await c.waitReady([fresh], 600_000, { failOnAttempt: true });
    return `${fresh.name} joined with the rotated token ${token.split(".")[0]}.*; old token ${oldId} deleted`;
  },
};

/**
 * A deliberately broken boot file: a worker whose join config pins a CA that is not the cluster's
 * (a discovery defect). Its boot must fail, and the failure must carry the node's own kubeadm lines.
 */
export const brokenDiscovery: Fault = {
  name: "broken-discovery",
  async run(c) {
    const launch = worker(c).launch;
    const secret = Object.keys(c.plan.secrets).find((n) => n.endsWith(`/${launch.role}`))!;
    const good = c.plan.secrets[secret]!;
    const wrongPin = `sha256:${"0".repeat(64)}`;
    const broken = good.replace(/sha256:[0-9a-f]{64}/g, wrongPin);
    if (broken === good) throw new Error(`no CA pin in the ${launch.role} bundle`);
    c.aws.putSecret(secret, broken);
    const m = c.prepare(launch);
    try {
      c.boot(m);
      try {
        await c.waitReady([m], 600_000, { failOnAttempt: true });
      } catch (e) {
        if (!(e instanceof BootFailure)) throw e;
        const msg = e.message;
        if (!/kubeadm-aws\[worker-/.test(msg) || !/pinned|cluster-info|discovery/i.test(msg))
          throw new Error(`the broken boot failed, but not with the node's own discovery lines:\n${msg}`, { cause: e });
        const line = msg.split("\n").find((l) => /pinned|cluster-info/i.test(l)) ?? "";
        return `failed as it must: ${line.trim().slice(0, 200)}`;
      }
      throw new Error(`${m.name} joined with a wrong CA pin`);
    } finally {
      await c.remove(m);
      c.aws.putSecret(secret, good);
    }
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stop the node that started the init while the others boot: the moment a control-plane node holds
 * the init claim, its machine is killed and its instance terminated. Another control-plane node must
 * take the claim over (the owner is gone), initialise, and the rest join: still exactly one cluster.
 */
async function bootKillingTheInitOwner(c: LocalCluster, machines: LocalMachine[], facts: Record<string, string>): Promise<LocalMachine[]> {
  for (const m of machines) c.boot(m);
  const end = Date.now() + 300_000;
  let owner: string | undefined;
  while (!(owner = initMarker(c).owner)) {
    if (Date.now() > end) throw new BootFailure("no control-plane node claimed the init within 300 s");
    c.checkBoots(machines);
    await sleep(500);
  }
  const victim = machines.find((m) => m.identity.instanceId === owner);
  if (!victim) throw new Error(`the init claim's owner ${owner} is none of the machines`);
  await c.remove(victim);
  c.aws.terminateInstance(owner);
  c.log(`stopped the init claimant ${victim.name}`);
  // Its replacement (a new instance, as the next `pulumi up` makes) must join, never initialise.
  await sleep(20_000);
  const fresh = await c.replace(victim);
  facts["stop-init-node"] = `killed ${victim.name} (${owner}) right after it claimed the init; its replacement ${fresh.name} boots`;
  return [...machines.filter((m) => m !== victim), fresh];
}

/**
 * Stop one etcd member of three (a stacked control-plane node, plug pulled): the API keeps answering
 * and keeps taking writes through the load balancer. Then the machine comes back with its disk: its
 * member rejoins and serves, from its own copy, the object written while it was down.
 */
export const stopEtcdMember: Fault = {
  name: "stop-etcd-member",
  async run(c) {
    const init = exactlyOneInit(c);
    const m = c.machines.find((x) => x.launch.kind === "control-plane" && x.machine.running && x.name !== init);
    if (!m) throw new Error("no second running control-plane node");
    await m.machine.kill();
    const name = `written-while-${m.name}-was-down`;
    // Until the load balancer's health check marks the dead target down (interval × unhealthy threshold),
    // some new connections still go to it, as with an NLB; after that, every probe must answer.
    const hc = c.plan.healthCheck;
    const window = (hc.interval * hc.unhealthyThreshold + hc.interval) * 1000;
    const killed = Date.now();
    let early = 0;
    let earlyOk = 0;
    while (Date.now() - killed < window) {
      early++;
      if (c.kubectl(["get", "--raw", "/readyz"]).status === 0) earlyOk++;
      await sleep(1000);
    }
    let answered = 0;
    for (let i = 0; i < 10; i++) {
      if (c.kubectl(["get", "--raw", "/readyz"]).status === 0) answered++;
      await sleep(500);
    }
    if (answered < 10)
      throw new Error(
        `with one etcd member of three down, the API answered ${answered}/10 probes after the health check's ${window / 1000} s`,
      );
    const cm = c.kubectl(["-n", "default", "create", "configmap", name, "--from-literal=k=v"]);
    if (cm.status !== 0) throw new Error(`no write with one etcd member down: ${cm.stderr}`);
    m.machine.boot();
    const end = Date.now() + 300_000;
    const pki = "/etc/kubernetes/pki/etcd";
    for (;;) {
      const r = m.machine.exec(
        [
          "/usr/local/bin/etcdctl",
          "--endpoints=https://127.0.0.1:2379",
          `--cacert=${pki}/ca.crt`,
          `--cert=${pki}/healthcheck-client.crt`,
          `--key=${pki}/healthcheck-client.key`,
          "get",
          `/registry/configmaps/default/${name}`,
          "--consistency=s",
          "--keys-only",
        ],
        20_000,
      );
      if (r.status === 0 && r.stdout.includes(name)) break;
      if (Date.now() > end) throw new Error(`${m.name}'s etcd member did not serve the object written while it was down: ${r.stderr}`);
      await sleep(3000);
    }
    await c.waitReady([m], 300_000);
    return `with ${m.name} down the API answered ${earlyOk}/${early} probes within the health check's ${window / 1000} s, then ${answered}/10, and took a write; its member rejoined and serves that write locally`;
  },
};

/** A serializable (local) read of one key from a dedicated member, with the member's own certificate. */
function memberGet(m: LocalMachine, key: string): { status: number; stdout: string; stderr: string } {
  const pki = (f: string) => `${DEFAULT_ETCD_PATHS.pkiDir}/${f}`;
  return m.machine.exec(
    [
      "/usr/local/bin/etcdctl",
      `--endpoints=https://${m.identity.ip}:${DEFAULT_ETCD_PORTS.client}`,
      `--cacert=${pki(PKI_FILES.ca)}`,
      `--cert=${pki(PKI_FILES.serverCert)}`,
      `--key=${pki(PKI_FILES.serverKey)}`,
      ...key.split(" "),
    ],
    20_000,
  );
}

/**
 * Stop a dedicated etcd member of three, then replace it: the API keeps answering and taking writes;
 * a new instance attached to the member's data volume comes up as the same member (same member ID) and
 * serves, from its own copy, what was written before and while it was gone.
 */
export const replaceEtcdMember: Fault = {
  name: "replace-etcd-member",
  async run(c) {
    const members = c.machines.filter((m) => m.launch.kind === "etcd" && m.machine.running);
    const victim = members[1];
    if (!victim || members.length < 3) throw new Error("the critical layout needs three running members");
    const before = c.kubectl(["-n", "default", "create", "configmap", "written-before", "--from-literal=k=v"]);
    if (before.status !== 0) throw new Error(`write failed: ${before.stderr}`);
    const idOf = (m: LocalMachine) => {
      const r = memberGet(m, "endpoint status -w json");
      if (r.status !== 0) throw new Error(`${m.name} does not answer: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { Status: { header: { member_id: number } } }[])[0]!.Status.header.member_id.toString(16);
    };
    const id = idOf(victim);
    await victim.machine.kill();
    await sleep(5000);
    let answered = 0;
    for (let i = 0; i < 10; i++) {
      if (c.kubectl(["get", "--raw", "/readyz"]).status === 0) answered++;
      await sleep(500);
    }
    if (answered < 10) throw new Error(`with etcd member ${victim.name} down the API answered ${answered}/10 probes`);
    const during = c.kubectl(["-n", "default", "create", "configmap", "written-while-down", "--from-literal=k=v"]);
    if (during.status !== 0) throw new Error(`no write with one member down: ${during.stderr}`);
    const fresh = await c.replace(victim);
    const end = Date.now() + 300_000;
    for (;;) {
      const a = memberGet(fresh, "get /registry/configmaps/default/written-before --consistency=s --keys-only");
      const b = memberGet(fresh, "get /registry/configmaps/default/written-while-down --consistency=s --keys-only");
      if (a.status === 0 && b.status === 0 && a.stdout.includes("written-before") && b.stdout.includes("written-while-down")) break;
      if (Date.now() > end)
        throw new Error(
          `the replaced member ${fresh.name} does not serve the writes: ${a.stderr}${b.stderr}\n${c.bootLog(fresh).split("\n").slice(-20).join("\n")}`,
        );
      await sleep(3000);
    }
    const newId = idOf(fresh);
    if (newId !== id) throw new Error(`the replacement came up as member ${newId}, not ${id}: it did not keep the member's data`);
    // Both booted by the common boot's action: the first formatted the blank volume, the replacement only mounted it.
    const formatted = (m: LocalMachine) => /etcd-member-boot\[[^\]]+\]: formatting the blank volume/.test(c.bootLog(m));
    const mounted = (m: LocalMachine) => /etcd-member-boot\[[^\]]+\]: volume \S+ \(\S+\) mounted on/.test(c.bootLog(m));
    if (!formatted(victim) || formatted(fresh) || !mounted(fresh)) {
      throw new Error(
        `expected ${victim.name} to format its blank volume and ${fresh.name} only to mount it; ${fresh.name}'s boot log:\n${c.bootLog(fresh).split("\n").slice(-20).join("\n")}`,
      );
    }
    return `API answered ${answered}/10 with ${victim.name} down and took a write; the replacement ${fresh.name} mounted the volume ${victim.name} had formatted, is member ${id} again and serves both writes locally`;
  },
};

export const LAYOUTS: Record<LayoutName, Layout> = {
  // 1 control plane + 1 worker (the dev tier).
  dev: {
    plan: { stack: "dev" },
    machines: (p) => [...controlPlane(p), pools(p)[0]!],
    faults: [restartJoinedNode, rotateTokenNewWorker, brokenDiscovery],
  },
  // 3 control planes (stacked etcd) + 2 workers, one of a tainted pool (the standard tier; the staging stack).
  standard: {
    plan: { stack: "staging" },
    machines: (p) => [...controlPlane(p), ...pools(p)],
    boot: bootKillingTheInitOwner,
    faults: [stopEtcdMember, restartJoinedNode],
  },
  // 3 dedicated etcd members on their data volumes + 1 control plane + 1 worker (the critical tier's shape, scaled down).
  critical: {
    plan: { configFile: path.join(__dirname, "stacks", "Pulumi.critical.yaml") },
    machines: (p) => [...p.launches.filter((l) => l.kind === "etcd"), ...controlPlane(p), pools(p)[0]!],
    faults: [replaceEtcdMember],
  },
};
