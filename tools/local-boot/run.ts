/**
 * `npm run test:boot [-- LAYOUT...]`: boots each layout from its stack's exact user data and prints
 * `<layout>: <ready>/<total> nodes Ready` with the time of each phase. Exits non-zero when a layout
 * fails. Layouts and what each shows: docs/local-boot.md.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureNodeArtifacts } from "../node-artifacts/build";
import { ensureBinaries } from "../k8s/build";
import { attachedVolumes, BootFailure, detachVolumes, LocalCluster, type LocalMachine } from "./cluster";
import { cloudInitDone, coreDnsRuns, etcdHealthy, exactlyOneInit, initMarker, podResolvesService, TEST_IMAGE_PREFIX } from "./checks";
import { leftNamespaces, removeAllNamespaces } from "./network";
import { leftCgroups, leftMachines, removeAllCgroups } from "./nspawn";
import { lock } from "../build-util";
import { planForLocalBoot, type LocalPlan } from "./plan";
import { ensureNodeImage } from "./rootfs";
import { LAYOUTS, type Layout, type LayoutName } from "./layouts";

export interface PhaseTimes {
  [phase: string]: number;
}

export interface LayoutResult {
  layout: LayoutName;
  ready: number;
  total: number;
  ok: boolean;
  phases: PhaseTimes;
  error?: string;
  /** Facts the run established (which machine ran init, the DNS answer...). */
  facts: Record<string, string>;
}

/** Everything a local boot needs on this host, with the reason when something is missing. */
export function localBootSupport(): string | undefined {
  if (process.getuid?.() !== 0) return "the local boot needs root (network namespaces, systemd-nspawn)";
  for (const c of ["systemd-nspawn", "debootstrap", "haproxy", "dnsmasq", "moto_server", "aws", "ip", "nsenter"]) {
    if (spawnSync("sh", ["-c", `command -v ${c}`]).status !== 0) return `${c} is missing (scripts/test.sh installs it)`;
  }
  return undefined;
}

export interface Prepared {
  image: string;
  testImage: string;
  phases: PhaseTimes;
}

/** The node image and its inputs (cached): phases `images` (local builds) and `rootfs` (debootstrap + bake). */
export function prepareImage(log: (l: string) => void): Prepared {
  const phases: PhaseTimes = {};
  let t = Date.now();
  ensureBinaries({ log });
  const art = ensureNodeArtifacts({ log });
  phases.images = Date.now() - t;
  t = Date.now();
  const image = ensureNodeImage({ mirrorDir: art.mirrorDir, imagesDir: art.imagesDir, built: art.versions, log });
  phases.rootfs = Date.now() - t;
  const testImage = art.images.map((i) => i.ref).find((r) => r.startsWith(TEST_IMAGE_PREFIX));
  if (!testImage) throw new Error(`no ${TEST_IMAGE_PREFIX}* test image among ${art.images.map((i) => i.ref).join(", ")}`);
  return { image, testImage, phases };
}

/** Stops and removes whatever a run (this or a killed earlier one) left: processes, namespaces, cgroups. */
export function cleanupHost(): void {
  removeAllNamespaces();
  removeAllCgroups();
  detachVolumes();
  for (const d of leftRunFolders()) fs.rmSync(d, { recursive: true, force: true });
}

/** Run folders (machine roots, volumes) in the temporary folder. */
function leftRunFolders(): string[] {
  return fs
    .readdirSync(os.tmpdir())
    .filter((f) => f.startsWith(RUN_PREFIX))
    .map((f) => path.join(os.tmpdir(), f));
}

const RUN_PREFIX = "pka-boot-";

/** What is left of local runs on this host (reads only): machines, namespaces, cgroups, loop devices, run folders. Empty after a run. */
export function leftovers(): string[] {
  return [...leftMachines(), ...leftNamespaces(), ...leftCgroups(), ...attachedVolumes(), ...leftRunFolders()];
}

/** One local boot at a time on a host (jest may run test files in parallel; each run cleans up what any run left). */
function hostLock(log: (l: string) => void): () => void {
  return lock(path.join(os.tmpdir(), "pka-local-boot.lock"), log);
}

/** Runs one layout to the end, always cleaning up; never throws (the result says what failed). */
export async function runLayout(name: LayoutName, prepared: Prepared, log: (l: string) => void, keep = false): Promise<LayoutResult> {
  const layout: Layout = LAYOUTS[name];
  const phases: PhaseTimes = { ...prepared.phases };
  const facts: Record<string, string> = {};
  const unlock = hostLock(log);
  cleanupHost();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `${RUN_PREFIX}${name}-`));
  let cluster: LocalCluster | undefined;
  let ready = 0;
  let total = 0;
  try {
    let t = Date.now();
    const plan: LocalPlan = await planForLocalBoot(layout.plan);
    phases.plan = Date.now() - t;
    facts.userData = `${plan.sameAsPlanOut.join(", ")}: byte for byte plan --out's cloud-init.yaml`;
    cluster = new LocalCluster(plan, prepared.image, runDir, log);
    await cluster.start();
    const machines: LocalMachine[] = layout.machines(plan).map((l) => cluster!.prepare(l));
    total = machines.filter((m) => m.launch.kind !== "etcd").length;
    t = Date.now();
    let expected = machines;
    if (layout.boot) expected = await layout.boot(cluster, machines, facts);
    else for (const m of machines) cluster.boot(m);
    await cluster.waitForBootUnits(expected, 180_000);
    phases.boot = Date.now() - t;
    t = Date.now();
    await cluster.waitForApi(600_000);
    phases.init = Date.now() - t;
    t = Date.now();
    const nodes = expected.filter((m) => m.launch.kind !== "etcd");
    ready = await cluster.waitReady(nodes, 900_000);
    phases.joins = Date.now() - t;
    const members = expected.filter((m) => m.launch.kind === "etcd");
    if (members.length > 0) facts.etcd = etcdHealthy(cluster, members);
    facts.cloudInit = cloudInitDone(expected);
    facts.init = exactlyOneInit(cluster);
    const marker = initMarker(cluster);
    if (!marker.initializedAt) throw new Error(`the init marker is not set: ${JSON.stringify(marker)}`);
    facts.initMarkerOwner = marker.owner ?? "";
    t = Date.now();
    await coreDnsRuns(cluster);
    const worker = machines.find((m) => m.launch.kind === "pool");
    if (worker) facts.dns = await podResolvesService(cluster, worker, prepared.testImage);
    phases.checks = Date.now() - t;
    for (const fault of layout.faults) {
      t = Date.now();
      log(`${name}: fault ${fault.name}`);
      facts[fault.name] = await fault.run(cluster, { testImage: prepared.testImage, log });
      phases[`fault:${fault.name}`] = Date.now() - t;
    }
    // Every node no layout or fault took away on purpose; one that died on its own counts as not Ready.
    const nodes2 = cluster.kept().filter((m) => m.launch.kind !== "etcd");
    const readyNow = cluster.readiness();
    ready = nodes2.filter((m) => m.machine.running && readyNow.get(m.identity.hostname)).length;
    total = nodes2.length;
    return { layout: name, ready, total, ok: true, phases, facts };
  } catch (e) {
    const error = e instanceof BootFailure ? e.message : ((e as Error).stack ?? String(e));
    if (cluster) ready = [...cluster.readiness().values()].filter(Boolean).length;
    return { layout: name, ready, total, ok: false, phases, facts, error };
  } finally {
    if (cluster) await cluster.stopAll();
    removeAllNamespaces();
    removeAllCgroups();
    detachVolumes();
    if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
    else log(`${name}: kept ${runDir}`);
    unlock();
  }
}

export function formatResult(r: LayoutResult): string {
  const s = (ms: number) => `${Math.round(ms / 1000)}s`;
  const order = ["images", "rootfs", "plan", "boot", "init", "joins", "checks"];
  const phases = [...order.filter((p) => p in r.phases), ...Object.keys(r.phases).filter((p) => !order.includes(p))]
    .map((p) => `${p} ${s(r.phases[p]!)}`)
    .join(", ");
  const total = Object.entries(r.phases)
    .filter(([p]) => p !== "images" && p !== "rootfs")
    .reduce((a, [, v]) => a + v, 0);
  return `${r.layout}: ${r.ready}/${r.total} nodes Ready in ${s(total)} (${phases})${r.ok ? "" : " FAILED"}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const keep = args.includes("--keep");
  const names = args.filter((a) => !a.startsWith("--")) as LayoutName[];
  const wanted = names.length > 0 ? names : (Object.keys(LAYOUTS) as LayoutName[]);
  for (const n of wanted)
    if (!(n in LAYOUTS)) {
      console.error(`unknown layout ${n}; layouts: ${Object.keys(LAYOUTS).join(", ")}`);
      process.exit(2);
    }
  const why = localBootSupport();
  if (why) {
    console.error(`local boot: ${why}`);
    process.exit(2);
  }
  const log = (l: string) => process.stderr.write(`[local-boot] ${l}\n`);
  const prepared = prepareImage(log);
  if (args.includes("--image-only")) {
    console.log(
      `${prepared.image} (images ${Math.round(prepared.phases.images! / 1000)} s, rootfs ${Math.round(prepared.phases.rootfs! / 1000)} s)`,
    );
    return;
  }
  let failed = 0;
  // An interrupted run still stops everything: whatever runs in the local namespaces is killed with them.
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => {
      cleanupHost();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  for (const n of wanted) {
    const r = await runLayout(n, prepared, log, keep);
    if (!r.ok) {
      failed++;
      console.error(`${n} failed:\n${r.error}`);
    }
    for (const [k, v] of Object.entries(r.facts)) log(`${n}: ${k}: ${v}`);
    console.log(formatResult(r));
  }
  process.exit(failed > 0 ? 1 : 0);
}

if (require.main === module) void main();
