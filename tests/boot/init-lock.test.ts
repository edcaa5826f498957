/**
 * The init marker's protocol, run for real: the rendered kubeadm-aws-init-lock script with the real
 * AWS CLI against moto's DynamoDB and EC2 (conditional writes and instance states as AWS has them).
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { INIT_RESUME_PHASES, initLockScript } from "../../components/bootstrap";
import { runTool, writeTree } from "../bootstrap/tools";
import {
  aws,
  createTable,
  lock,
  makeNode,
  marker,
  putMarker,
  runInstances,
  startMoto,
  stateFile,
  type Moto,
  type TestNode,
} from "./harness";

jest.setTimeout(180_000);

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(() => moto?.stop());

const shared = () => mkdtempSync(path.join(tmpdir(), "boot-shared-"));
function nodes(table: string, ids: string[], extra: Partial<Parameters<typeof makeNode>[2]> = {}): TestNode[] {
  const s = shared();
  return ids.map((id, i) => makeNode(s, moto, { role: `control-plane-${i}`, instanceId: id, table, ...extra }));
}

test("the script passes shellcheck -S warning", () => {
  const dir = writeTree([{ path: "init-lock", content: initLockScript() }]);
  const r = runTool("shellcheck", ["-S", "warning", path.join(dir, "init-lock")]);
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});

test("five control-plane nodes claim at once: exactly one wins, the others see it held", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 5);
  const all = nodes(table, ids);
  const results = await Promise.all(all.map((n) => lock(n, "claim")));
  for (const r of results) expect(r.status).toBe(0);
  const answers = results.map((r) => r.stdout.trim());
  const winners = answers.map((a, i) => (a === "init" ? ids[i] : undefined)).filter((x) => x !== undefined);
  expect(winners).toHaveLength(1);
  expect(answers.filter((a) => a !== "init")).toEqual(Array(4).fill(`held ${winners[0]}`));
  expect(marker(moto, table)).toMatchObject({ owner: winners[0] });
  expect(marker(moto, table)!.initializedAt).toBeUndefined();
  // The winner asking again still holds it; it is recorded on its disk.
  const w = all[ids.indexOf(winners[0]!)]!;
  expect((await lock(w, "claim")).stdout.trim()).toBe("init");
  expect(stateFile(w, "init-claimed")).toBe(true);
});

test("once initialised nobody initialises again, even when the initialiser is gone", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 2);
  const [a, b] = nodes(table, ids);
  expect((await lock(a!, "claim")).stdout.trim()).toBe("init");
  const mark = await lock(a!, "mark-initialized");
  expect(mark.status).toBe(0);
  expect(marker(moto, table)!.initializedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  aws(moto, "ec2", "terminate-instances", "--instance-ids", ids[0]!);
  expect((await lock(b!, "claim")).stdout.trim()).toBe("join");
  expect((await lock(b!, "decide")).stdout.trim()).toBe("join");
  expect(marker(moto, table)!.owner).toBe(ids[0]);
});

test("only the owner may mark the cluster initialised", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 2);
  const [a, b] = nodes(table, ids);
  await lock(a!, "claim");
  const r = await lock(b!, "mark-initialized");
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("no longer holds the init claim");
  expect(marker(moto, table)!.initializedAt).toBeUndefined();
});

test.each([
  ["stopped", "stop-instances"],
  ["terminated", "terminate-instances"],
])("a claim held by a %s instance is taken over by exactly one of two nodes", async (_, action) => {
  const table = createTable(moto);
  const ids = runInstances(moto, 3);
  const [a, b, c] = nodes(table, ids);
  await lock(a!, "claim");
  // Alive: nobody takes it.
  expect((await lock(b!, "claim")).stdout.trim()).toBe(`held ${ids[0]}`);
  aws(moto, "ec2", action, "--instance-ids", ids[0]!);
  const [rb, rc] = await Promise.all([lock(b!, "claim"), lock(c!, "claim")]);
  const answers = [rb.stdout.trim(), rc.stdout.trim()];
  expect(answers.filter((x) => x === "init")).toHaveLength(1);
  const winner = answers[0] === "init" ? ids[1]! : ids[2]!;
  expect(answers).toContain(`held ${winner}`);
  expect(marker(moto, table)).toMatchObject({ owner: winner, previousOwner: ids[0] });
});

test("a claim held by an instance EC2 does not know is taken over", async () => {
  const table = createTable(moto);
  const [b] = nodes(table, runInstances(moto, 1));
  putMarker(moto, table, { owner: "i-0123456789abcdef0", claimedAt: "2024-01-01T00:00:00Z" });
  expect((await lock(b!, "claim")).stdout.trim()).toBe("init");
  expect(marker(moto, table)!.owner).toBe(b!.env.INSTANCE_ID);
});

test("a takeover is conditional: it loses once the old owner marked the cluster initialised (between read and write)", async () => {
  const table = createTable(moto);
  const [b] = nodes(table, runInstances(moto, 1));
  putMarker(moto, table, { owner: "i-0123456789abcdef0", initializedAt: "2024-01-01T00:05:00Z" });
  const r = await lock(b!, "takeover", "i-0123456789abcdef0");
  expect(r.status).toBe(2);
  expect(marker(moto, table)!.owner).toBe("i-0123456789abcdef0");
  // And a takeover naming a different old owner loses too.
  putMarker(moto, table, { owner: "i-0aaaaaaaaaaaaaaaa" });
  expect((await lock(b!, "takeover", "i-0123456789abcdef0")).status).toBe(2);
});

test("a failed claimant releases the claim and another node takes it; release never undoes an initialised cluster", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 2);
  const [a, b] = nodes(table, ids);
  await lock(a!, "claim");
  expect((await lock(a!, "failed")).status).toBe(0);
  expect(marker(moto, table)).toMatchObject({ owner: "released", releasedBy: ids[0] });
  expect(stateFile(a!, "init-claimed")).toBe(false);
  expect((await lock(b!, "claim")).stdout.trim()).toBe("init");
  await lock(b!, "mark-initialized");
  expect((await lock(b!, "release")).status).toBe(2);
  expect(marker(moto, table)!.owner).toBe(ids[1]);
});

test("decide waits while a live node holds the claim, then gives the attempt up (exit 3)", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 2);
  const [a, b] = nodes(table, ids, { env: { apiWaitSeconds: 30 } });
  await lock(a!, "claim");
  const r = await lock(b!, "decide");
  expect(r.status).toBe(3);
  expect(r.stderr).toContain(`init claim held ${ids[0]}, cluster not initialised after 30s`);
});

test("a node without init.yaml never claims", async () => {
  const table = createTable(moto);
  const [a] = nodes(table, runInstances(moto, 1), { initConfig: false });
  expect((await lock(a!, "claim")).stdout.trim()).toBe("held None");
  expect(marker(moto, table)).toBeUndefined();
});

test("a claimant interrupted before it marked, whose claim was taken over, refuses to start its kubelet", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 2);
  const [a] = nodes(table, ids);
  await lock(a!, "claim");
  putMarker(moto, table, { owner: ids[1]!, previousOwner: ids[0]! });
  const r = await lock(a!, "rebooted");
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(`${ids[1]} holds the claim now: not starting kubelet`);
  expect(a!.calls().filter((c) => c.startsWith("systemctl"))).toEqual([]);
});

test("a claimant rebooted after its API answered but before it marked finishes kubeadm init's remaining phases, then marks", async () => {
  const table = createTable(moto);
  const ids = runInstances(moto, 1);
  const [a] = nodes(table, ids);
  await lock(a!, "claim");
  writeFileSync(path.join(a!.dir, "local-api-up"), "");
  const r = await lock(a!, "rebooted");
  expect(r.status).toBe(0);
  const phases = a!
    .calls()
    .filter((c) => c.startsWith("kubeadm init phase"))
    .map((c) => c.replace(/ --config .*/, "").replace("kubeadm init phase ", ""));
  expect(phases).toEqual([...INIT_RESUME_PHASES]);
  expect(marker(moto, table)!.initializedAt).toBeDefined();
});
