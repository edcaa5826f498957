/**
 * The real kubeadm-aws-boot, several "nodes" at once: stub kubeadm/systemctl/IMDS, the real init
 * marker script and AWS CLI against moto. What each node ran, and what the marker and the Auto
 * Scaling group say afterwards.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import {
  bootBudgetSeconds,
  bootScript,
  bootstrapServiceUnit,
  INIT_RESUME_PHASES,
  NODE_SCRIPTS,
  nodeDir,
  UNITS,
} from "../../components/bootstrap";
import { runTool } from "../bootstrap/tools";
import {
  aws,
  boot,
  createTable,
  kubeadmCalls,
  makeNode,
  marker,
  putMarker,
  runInstances,
  startMoto,
  stateFile,
  type Moto,
} from "./harness";

jest.setTimeout(240_000);

const BOOT_FILE = path.join(nodeDir(), NODE_SCRIPTS.boot.source);

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(() => moto?.stop());

const shared = () => mkdtempSync(path.join(tmpdir(), "boot-shared-"));
const INIT = "kubeadm init --config";
const isInit = (c: string) => c.startsWith(INIT);
const isJoin = (c: string) => c.startsWith("kubeadm join --config");
const isReset = (c: string) => c.startsWith("kubeadm reset");

test("the boot script passes shellcheck -S warning, as the file the package ships", () => {
  expect(readFileSync(BOOT_FILE, "utf8")).toBe(bootScript());
  const r = runTool("shellcheck", ["-x", "-S", "warning", BOOT_FILE]);
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});

test("three control-plane nodes boot in parallel: exactly one initialises, the others join once it is marked", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 3);
  const s = shared();
  const all = ids.map((id, i) =>
    makeNode(s, moto, { role: `control-plane-${i}`, instanceId: id, table, env: { enableUnits: [UNITS.tokenSyncTimer] } }),
  );
  const results = await Promise.all(all.map(boot));
  for (const r of results) expect(r.status).toBe(0);
  const inits = all.filter((n) => kubeadmCalls(n).some(isInit));
  expect(inits).toHaveLength(1);
  const initializer = inits[0]!;
  for (const n of all) {
    if (n === initializer)
      expect(kubeadmCalls(n).filter((c) => !c.startsWith("kubeadm init phase"))).toEqual([
        `${INIT} ${n.dir}/init.yaml --skip-token-print --skip-certificate-key-print`,
      ]);
    else expect(kubeadmCalls(n)).toEqual(["kubeadm join --config /etc/kubernetes/kubeadm/join.yaml"]);
    expect(stateFile(n, "local-api-answered")).toBe(true);
    expect(n.calls()).toContain(`systemctl enable --now ${UNITS.tokenSyncTimer}`);
  }
  const m = marker(moto, table)!;
  expect(m.owner).toBe(initializer.env.INSTANCE_ID);
  expect(m.initializedAt).toBeDefined();
  expect(stateFile(initializer, "init-marked")).toBe(true);
});

test("kubeadm init failing after its API answered: no reset; the phases after wait-control-plane run and the cluster is marked", async () => {
  const table = createTable(moto);
  const [id] = runInstances(moto, 1);
  const n = makeNode(shared(), moto, { role: "control-plane-0", instanceId: id!, table, init: ["api-then-fail", "ok"] });
  const r = await boot(n);
  expect(r.status).toBe(0);
  const calls = kubeadmCalls(n);
  expect(calls.some(isReset)).toBe(false);
  expect(calls).toEqual([
    `${INIT} ${n.dir}/init.yaml --skip-token-print --skip-certificate-key-print`,
    ...INIT_RESUME_PHASES.map((p) => `kubeadm init phase ${p} --config ${n.dir}/init.yaml`),
  ]);
  expect(r.stdout + r.stderr).toContain("retrying, never resetting");
  expect(marker(moto, table)!.initializedAt).toBeDefined();
});

test("kubeadm init failing before any API answered: reset, then init again; nobody else has joined", async () => {
  const table = createTable(moto);
  const [id] = runInstances(moto, 1);
  const n = makeNode(shared(), moto, { role: "control-plane-0", instanceId: id!, table, init: ["fail", "ok"] });
  const r = await boot(n);
  expect(r.status).toBe(0);
  const calls = kubeadmCalls(n);
  expect(calls.map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual(["kubeadm init", "kubeadm reset", "kubeadm init"]);
  expect(marker(moto, table)).toMatchObject({ owner: id });
});

test("a claimant whose boot fails for good gives the claim back, and the next node initialises", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 2);
  const s = shared();
  const a = makeNode(s, moto, { role: "control-plane-0", instanceId: ids[0]!, table, init: ["fail"], env: { maxAttempts: 2 } });
  const ra = await boot(a);
  expect(ra.status).toBe(1);
  expect(ra.stdout + ra.stderr).toContain("kubeadm init failed 2 times");
  expect(marker(moto, table)).toMatchObject({ owner: "released", releasedBy: ids[0] });
  const b = makeNode(s, moto, { role: "control-plane-1", instanceId: ids[1]!, table });
  expect((await boot(b)).status).toBe(0);
  expect(kubeadmCalls(b).some(isInit)).toBe(true);
  expect(marker(moto, table)).toMatchObject({ owner: ids[1], previousOwner: "released" });
});

test("a failed claimant stops and resets its control plane before it gives the claim back (no second cluster later)", async () => {
  const table = createTable(moto);
  const [id] = runInstances(moto, 1);
  const a = makeNode(shared(), moto, { role: "control-plane-0", instanceId: id!, table, init: ["fail"], env: { maxAttempts: 1 } });
  expect((await boot(a)).status).toBe(1);
  const calls = a.calls();
  const stop = calls.lastIndexOf(`systemctl stop ${UNITS.kubelet}`);
  const reset = calls.map((c) => c.startsWith("kubeadm reset")).lastIndexOf(true);
  expect(stop).toBeGreaterThan(-1);
  expect(reset).toBeGreaterThan(stop);
  expect(marker(moto, table)).toMatchObject({ owner: "released" });
});

test("an empty marker with a living API (a cluster older than its marker): the node adopts it and joins, never inits", async () => {
  const table = createTable(moto);
  const [id] = runInstances(moto, 1);
  const s = shared();
  writeFileSync(path.join(s, "api-up"), "");
  const n = makeNode(s, moto, { role: "control-plane-0", instanceId: id!, table });
  const r = await boot(n);
  expect(r.status).toBe(0);
  expect(r.stdout + r.stderr).toContain("adopted the living cluster; joining");
  expect(kubeadmCalls(n).filter(isInit)).toEqual([]);
  expect(kubeadmCalls(n).some(isJoin)).toBe(true);
  expect(marker(moto, table)).toMatchObject({ owner: "adopted" });
  expect(marker(moto, table)!.initializedAt).toBeDefined();
});

test("a replaced single control plane never initialises an empty cluster: it fails naming the restore runbook", async () => {
  const table = createTable(moto);
  const [id] = runInstances(moto, 1);
  putMarker(moto, table, { owner: "i-0dead0dead0dead00", claimedAt: "2024-01-01T00:00:00Z", initializedAt: "2024-01-01T00:04:00Z" });
  const n = makeNode(shared(), moto, { role: "control-plane-0", instanceId: id!, table, controlPlaneCount: 1, env: { maxAttempts: 30 } });
  const r = await boot(n);
  expect(r.status).toBe(1);
  const out = r.stdout + r.stderr;
  expect(out).toContain("the cluster was initialised at 2024-01-01T00:04:00Z by i-0dead0dead0dead00");
  expect(out).toContain("will not run kubeadm init over the lost cluster");
  expect(out).toContain('Restore etcd from a snapshot: docs/etcd.md, "Restore runbook"');
  expect(kubeadmCalls(n).filter((c) => isInit(c) || isJoin(c))).toEqual([]);
  expect(marker(moto, table)!.owner).toBe("i-0dead0dead0dead00");
});

test("a joiner whose own API answered and then failed is not reset", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 1);
  putMarker(moto, table, { owner: ids[0]!, initializedAt: "2024-01-01T00:04:00Z" });
  const s = shared();
  const n = makeNode(s, moto, { role: "control-plane-1", instanceId: "i-0ffffffffffffffff", table, join: ["fail"] });
  // The cluster's API answers; the joiner's own API too (its control plane came up before the join failed).
  writeFileSync(path.join(s, "api-up"), "");
  writeFileSync(path.join(n.dir, "local-api-up"), "");
  const r = await boot(n);
  expect(r.status).toBe(1);
  expect(kubeadmCalls(n).some(isReset)).toBe(false);
  expect(r.stdout + r.stderr).toContain("no reset; replace the node");
});

test("a control-plane node without its init marker never runs kubeadm: not init, not join", async () => {
  const s = shared();
  writeFileSync(path.join(s, "api-up"), "");
  // No table: its bundle brought no init-lock.env (a broken bundle, or a hand-made one).
  const n = makeNode(s, moto, { role: "control-plane-0", instanceId: "i-0fffffffffffffffe", env: { maxAttempts: 2 } });
  const r = await boot(n);
  expect(r.status).toBe(1);
  expect(r.stdout + r.stderr).toContain("a control-plane node never runs kubeadm without it");
  expect(kubeadmCalls(n).filter((c) => isInit(c) || isJoin(c))).toEqual([]);
});

describe("workers", () => {
  function group(name: string): string {
    aws(
      moto,
      "ec2",
      "create-launch-template",
      "--launch-template-name",
      name,
      "--launch-template-data",
      JSON.stringify({ ImageId: aws(moto, "ec2", "describe-images", "--query", "Images[0].ImageId"), InstanceType: "t3.micro" }),
    );
    aws(
      moto,
      "autoscaling",
      "create-auto-scaling-group",
      "--auto-scaling-group-name",
      name,
      "--launch-template",
      `LaunchTemplateName=${name}`,
      "--min-size",
      "1",
      "--max-size",
      "1",
      "--desired-capacity",
      "1",
      "--availability-zones",
      "eu-west-1a",
      "--health-check-type",
      "EC2",
    );
    return aws(moto, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", name).AutoScalingGroups[0].Instances[0]
      .InstanceId;
  }
  const health = (id: string) =>
    aws(moto, "autoscaling", "describe-auto-scaling-instances", "--instance-ids", id).AutoScalingInstances[0].HealthStatus;

  test("a worker whose join fails for good marks itself Unhealthy, so its group replaces it", async () => {
    const id = group("t-general-fail");
    const s = shared();
    writeFileSync(path.join(s, "api-up"), "");
    const n = makeNode(s, moto, { role: "worker-general", instanceId: id, join: ["fail"], env: { maxAttempts: 2 } });
    const r = await boot(n);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`boot failed (exit 1): marking ${id} Unhealthy`);
    expect(health(id)).toMatch(/^unhealthy$/i);
    expect(kubeadmCalls(n).filter(isJoin)).toHaveLength(2);
  });

  test("a worker that joins stays Healthy", async () => {
    const id = group("t-general-ok");
    const s = shared();
    writeFileSync(path.join(s, "api-up"), "");
    const n = makeNode(s, moto, { role: "worker-general", instanceId: id });
    expect((await boot(n)).status).toBe(0);
    expect(health(id)).toMatch(/^healthy$/i);
  });
});

describe("instance metadata", () => {
  test("IMDS answers late: retried, then the node boots with its name", async () => {
    const s = shared();
    writeFileSync(path.join(s, "api-up"), "");
    const n = makeNode(s, undefined, { role: "worker-general", instanceId: "i-0abc" });
    // The token call fails twice first.
    const curl = path.join(n.dir, "bin/curl");
    const real = readFileSync(curl, "utf8");
    writeFileSync(
      curl,
      real.replace(
        "  *api/token*) echo token ;;",
        '  *api/token*) c=$(cat "$NODE_DIR/tok" 2>/dev/null || echo 0); echo $((c + 1)) >"$NODE_DIR/tok"; [ "$c" -ge 2 ] && echo token ;;',
      ),
    );
    const r = await boot(n);
    expect(r.status).toBe(0);
    expect(n.calls()).toContain(`hostnamectl set-hostname ip-0abc.eu-west-1.compute.internal`);
  });

  test("IMDS never answers: a clear line, exit non-zero, no kubeadm", async () => {
    const n = makeNode(shared(), undefined, { role: "worker-general", instanceId: "i-0abc" });
    writeFileSync(path.join(n.dir, "bin/curl"), "#!/bin/sh\nexit 7\n");
    const r = await boot(n);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("instance metadata local-hostname: failed 10 times");
    expect(kubeadmCalls(n)).toEqual([]);
  });
});

describe("the boot's budget and the unit agree", () => {
  test("the unit has no start timeout: the script's own deadline is the only one", () => {
    const unit = bootstrapServiceUnit("worker-general");
    const t = /^TimeoutStartSec=(.+)$/m.exec(unit)![1];
    expect(t).toBe("infinity");
  });

  test("the env file carries the budget bootBudgetSeconds computes, and the script gives up at it", async () => {
    const s = shared();
    const env = { joinDelaySeconds: 0, maxAttempts: 7, apiWaitSeconds: 40 };
    const n = makeNode(s, undefined, { role: "worker-general", instanceId: "i-0abc", env, join: ["fail"] });
    writeFileSync(path.join(s, "api-up"), "");
    const full = await boot(n);
    expect(full.stdout + full.stderr).toContain(`boot budget ${bootBudgetSeconds(env)}s`);
    expect(kubeadmCalls(n).filter(isJoin)).toHaveLength(7);
    // Budget 0: the first failure is the last attempt, whatever maxAttempts says.
    const m = makeNode(s, undefined, {
      role: "worker-general",
      instanceId: "i-0abd",
      env,
      join: ["fail"],
      envFile: { KUBEADM_AWS_BOOT_BUDGET: "0" },
    });
    const r = await boot(m);
    expect(r.status).toBe(1);
    expect(kubeadmCalls(m).filter(isJoin)).toHaveLength(1);
    expect(r.stdout + r.stderr).toContain("kubeadm join failed 1 times (boot budget 0s); giving up");
  });
});
