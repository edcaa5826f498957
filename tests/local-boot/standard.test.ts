/**
 * The standard layout (the staging stack: 3 control planes on stacked etcd, a general and a tainted
 * ingress worker) booted from its exact user data, with the init claimant killed while the others boot.
 */
import { workerRole } from "../../components/core/roles";
import { resolveClusterSpec } from "../../components/config";
import { type Taint } from "../../components/spec";
import { effectivePool } from "../../components/node-pools/presets";
import { LAYOUTS, type Fault } from "../../tools/local-boot/layouts";
import { leftovers } from "../../tools/local-boot/run";
import { PROJECT, readStackConfig, stackConfigPath } from "../../tools/plan/run";
import { bootLayout } from "./boot-layout";

/** The pools of the stack this layout plans, as the Cluster deploys them (effectivePool: a preset's taint ensured). */
const POOLS = resolveClusterSpec(readStackConfig(stackConfigPath(LAYOUTS.standard.plan.stack!)).raw[`${PROJECT}:cluster`]).nodePools.map(
  effectivePool,
);

/** Taints Kubernetes itself manages (not-ready, unreachable, the cloud provider's uninitialized): no pool's. */
const KUBERNETES_TAINT = /^node(\.cloudprovider)?\.kubernetes\.io\//;

/**
 * The run's facts do not name node taints, so this file adds a read-only step to its run, first after
 * every node is Ready: the taints of each pool machine's node, by machine role, as JSON.
 */
const POOL_TAINTS: Fault = {
  name: "pool-node-taints",
  async run(c) {
    const out: Record<string, Taint[]> = {};
    for (const m of c.machines.filter((x) => x.launch.kind === "pool" && x.machine.running)) {
      const node = c.kubectlJson<{ spec: { taints?: Taint[] } }>(["get", "node", m.identity.hostname]);
      if (!node) throw new Error(`${m.name}: no node ${m.identity.hostname}`);
      out[m.launch.role] = (node.spec.taints ?? [])
        .filter((t) => !KUBERNETES_TAINT.test(t.key))
        .map(({ key, value, effect }) => ({ key, ...(value ? { value } : {}), effect }));
    }
    return JSON.stringify(out);
  },
};
LAYOUTS.standard.faults.unshift(POOL_TAINTS);

const run = bootLayout("standard");

test("the init claimant killed mid-boot: another control-plane node took the claim over, and its replacement joined", () => {
  const r = run();
  expect(r.facts["stop-init-node"]).toMatch(/killed control-plane-\d-0 .* right after it claimed the init/);
  const killed = /killed (control-plane-\d)-0/.exec(r.facts["stop-init-node"]!)![1];
  expect(r.facts.init).toMatch(/^control-plane-\d-0$/);
  expect(r.facts.init.startsWith(killed!)).toBe(false);
});

test("every node is Ready and a Pod on a worker resolves the kubernetes Service", () => {
  const r = run();
  expect(r.total).toBe(5);
  expect(r.ready).toBe(5);
  expect(r.facts.dns).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local Address:? \d+\.\d+\.\d+\.\d+ \(attempt \d+\)$/);
  expect(r.facts.cloudInit).toBe("5 machines: status done, no errors");
});

test("each worker's node carries exactly its pool's taints: the ingress pool's taint on the ingress node, none on the general one", () => {
  const byRole = JSON.parse(run().facts[POOL_TAINTS.name]!) as Record<string, Taint[]>;
  const ingress = POOLS.find((p) => p.preset === "ingress")!;
  expect(ingress.taints.length).toBeGreaterThan(0);
  const byKey = (ts: Taint[]) => [...ts].sort((x, y) => `${x.key}:${x.effect}`.localeCompare(`${y.key}:${y.effect}`));
  expect(Object.keys(byRole).sort()).toEqual(POOLS.map(workerRole).sort());
  for (const pool of POOLS) expect([pool.name, byKey(byRole[workerRole(pool)]!)]).toEqual([pool.name, byKey(pool.taints)]);
});

test("with one stacked etcd member of three down the API answers and takes writes; the member rejoins with its data", () => {
  expect(run().facts["stop-etcd-member"]).toMatch(/then 10\/10, and took a write; its member rejoined and serves that write locally/);
});

test("a restarted worker comes back Ready, and there is still one init", () => {
  expect(run().facts["restart-joined-node"]).toMatch(/already bootstrapped.*the one init is still/);
});

test("nothing the run started is left", () => {
  run();
  expect(leftovers()).toEqual([]);
});
