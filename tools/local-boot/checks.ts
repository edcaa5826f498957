/**
 * What a booted local cluster must show (docs/local-boot.md, "Layouts"), each a check against the
 * real cluster that throws with what it saw.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_ETCD_PATHS, PKI_FILES } from "../../components/etcd/config";
import { DEFAULT_ETCD_PORTS } from "../../components/etcd/members";
import type { LocalCluster, LocalMachine } from "./cluster";

/** The test image the local build makes (tools/node-artifacts): Debian's busybox-static. */
export const TEST_IMAGE_PREFIX = "pka.local/busybox:";

/** Exactly one machine ran `kubeadm init` in this cluster's life; returns its name. */
export function exactlyOneInit(c: LocalCluster): string {
  const inits = c.machines.filter((m) => c.bootstrapped(m).some((l) => l.includes("(init)")));
  if (inits.length !== 1)
    throw new Error(`expected exactly one kubeadm init, found ${inits.length}: ${inits.map((m) => m.name).join(", ") || "none"}`);
  return inits[0]!.name;
}

/** The init marker in DynamoDB says the cluster was initialised, by whom. */
export function initMarker(c: LocalCluster): { owner?: string; initializedAt?: string } {
  const table = c.plan.tables.find((t) => t.name.endsWith("-init"));
  if (!table) return {};
  // The CLI prints nothing when there is no item yet.
  const out = JSON.parse(
    c.aws.aws([
      "dynamodb",
      "get-item",
      "--table-name",
      table.name,
      "--key",
      JSON.stringify({ [table.hashKey]: { S: "init" } }),
      "--consistent-read",
    ]) || "{}",
  ) as { Item?: Record<string, { S?: string }> };
  return { owner: out.Item?.owner?.S, initializedAt: out.Item?.initializedAt?.S };
}

/** CoreDNS (kubeadm's add-on) has Ready pods. */
export async function coreDnsRuns(c: LocalCluster, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    type Pods = { items: { status: { phase: string; conditions?: { type: string; status: string }[] } }[] };
    const pods = c.kubectlJson<Pods>(["-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns"])?.items ?? [];
    if (pods.some((p) => (p.status.conditions ?? []).some((x) => x.type === "Ready" && x.status === "True"))) return;
    if (Date.now() > end)
      throw new Error(
        `CoreDNS has no Ready pod after ${ms / 1000} s:\n${c.kubectl(["-n", "kube-system", "get", "pods", "-o", "wide"]).stdout}\n${c.kubectl(["-n", "kube-system", "describe", "pods", "-l", "k8s-app=kube-dns"]).stdout.slice(-3000)}`,
      );
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/**
 * A Pod on `worker` resolves the `kubernetes` Service through the cluster DNS and gets its
 * ClusterIP: scheduling, the pod network, kube-proxy's Service rules and CoreDNS all work. A node that
 * has just joined may not have its Service rules yet, so a failed lookup is tried again with a new Pod
 * until `ms` has passed; the answer says on which attempt it resolved.
 */
export async function podResolvesService(c: LocalCluster, worker: LocalMachine, image: string, ms = 180_000): Promise<string> {
  const svc = c.kubectlJson<{ spec: { clusterIP: string } }>(["-n", "default", "get", "service", "kubernetes"]);
  if (!svc) throw new Error("no kubernetes Service");
  const end = Date.now() + ms;
  const failures: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const name = `dns-check-${attempt}-${Date.now() % 100000}`;
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default" },
      spec: {
        // Through the scheduler, to the worker.
        nodeSelector: { "kubernetes.io/hostname": worker.identity.hostname },
        restartPolicy: "Never",
        containers: [{ name: "lookup", image, imagePullPolicy: "Never", command: ["nslookup", "kubernetes.default.svc.cluster.local"] }],
      },
    };
    const applied = applyJson(c, pod);
    if (applied.status !== 0) throw new Error(`cannot create the DNS check pod: ${applied.stderr}`);
    for (;;) {
      const p = c.kubectlJson<{ status: { phase: string } }>(["-n", "default", "get", "pod", name]);
      if (p && (p.status.phase === "Succeeded" || p.status.phase === "Failed")) {
        const logs = c.kubectl(["-n", "default", "logs", name]).stdout;
        c.kubectl(["-n", "default", "delete", "pod", name, "--wait=false"]);
        if (p.status.phase === "Succeeded" && resolvedTo(logs, "kubernetes.default.svc.cluster.local") === svc.spec.clusterIP)
          return `${logs.trim().split("\n").slice(-2).join(" ")} (attempt ${attempt})`;
        failures.push(`attempt ${attempt}: ${p.status.phase}: ${logs.trim()}`);
        break;
      }
      if (Date.now() > end)
        throw new Error(
          `the DNS check pod did not finish in ${ms / 1000} s:\n${c.kubectl(["-n", "default", "describe", "pod", name]).stdout.slice(-3000)}`,
        );
      await new Promise((r2) => setTimeout(r2, 2000));
    }
    if (Date.now() > end)
      throw new Error(
        `no Pod on ${worker.name} resolved the kubernetes Service (${svc.spec.clusterIP}) in ${ms / 1000} s:\n${failures.join("\n")}`,
      );
    await new Promise((r2) => setTimeout(r2, 5000));
  }
}

/** The first address nslookup gave for `name` (the `Address:` line after its `Name:` line, not the server's). */
export function resolvedTo(nslookup: string, name: string): string | undefined {
  const lines = nslookup.split("\n").map((l) => l.trim());
  const at = lines.findIndex((l) => l === `Name:\t${name}` || new RegExp(`^Name:\\s+${name.replace(/\./g, "\\.")}$`).test(l));
  if (at < 0) return undefined;
  return /^Address(?: \d+)?:\s+([0-9a-f.:]+)$/.exec(lines[at + 1] ?? "")?.[1];
}

function applyJson(c: LocalCluster, obj: unknown): { status: number; stderr: string } {
  const file = path.join(c.runDir, `apply-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(obj));
  const r = c.kubectl(["apply", "-f", file]);
  fs.rmSync(file);
  return r;
}

/**
 * Every dedicated etcd member booted by the common boot (its bootstrap unit ran its action to the end) and is a
 * healthy voting member of one cluster, asked from each member itself.
 */
export function etcdHealthy(c: LocalCluster, members: LocalMachine[]): string {
  const pki = (f: string) => `${DEFAULT_ETCD_PATHS.pkiDir}/${f}`;
  const out: string[] = [];
  for (const m of members) {
    const done = c.bootstrapped(m);
    if (done.length === 0)
      throw new Error(
        `etcd member ${m.name}'s boot never said "node bootstrapped"; its log ends:\n${c.bootLog(m).split("\n").slice(-20).join("\n")}`,
      );
    // The member's server certificate is also a client certificate (server_auth + client_auth).
    const r = m.machine.exec(
      [
        "/usr/local/bin/etcdctl",
        `--endpoints=https://${m.identity.ip}:${DEFAULT_ETCD_PORTS.client}`,
        `--cacert=${pki(PKI_FILES.ca)}`,
        `--cert=${pki(PKI_FILES.serverCert)}`,
        `--key=${pki(PKI_FILES.serverKey)}`,
        "endpoint",
        "status",
        "-w",
        "json",
      ],
      30_000,
    );
    if (r.status !== 0) throw new Error(`etcd member ${m.name} does not answer: ${r.stderr}`);
    out.push(r.stdout);
  }
  const statuses = out.map(
    (o) => (JSON.parse(o) as { Status: { header: { cluster_id: number }; leader: number; isLearner?: boolean } }[])[0]!.Status,
  );
  const clusters = new Set(statuses.map((x) => String(x.header.cluster_id)));
  if (clusters.size !== 1) throw new Error(`the members report ${clusters.size} clusters`);
  if (statuses.some((x) => x.isLearner)) throw new Error("a member is still a learner");
  return `${members.length}/${members.length} members answer, one cluster, leader ${statuses[0]!.leader.toString(16)}; each booted by the bootstrap unit (${c.bootstrapped(members[0]!)[0]!.replace(/^.*node bootstrapped/, "node bootstrapped")})`;
}

/** cloud-init ran every module of every machine's user data without an error (`cloud-init status`: done). */
export function cloudInitDone(machines: LocalMachine[]): string {
  const bad: string[] = [];
  for (const m of machines) {
    const r = m.machine.exec(["cloud-init", "status", "--long"], 30_000);
    if (r.status !== 0 || !/status: done/.test(r.stdout)) bad.push(`${m.name}: ${r.stdout.trim()} ${r.stderr.trim()}`);
  }
  if (bad.length > 0) throw new Error(`cloud-init did not finish cleanly:\n${bad.join("\n")}`);
  return `${machines.length} machines: status done, no errors`;
}
