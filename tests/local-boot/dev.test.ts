/**
 * The dev layout booted for real from its exact user data (tools/local-boot, docs/local-boot.md):
 * real cloud-init, systemd, containerd, runc, kubelet and kubeadm in systemd-nspawn machines, AWS
 * stood in for by moto, an IMDSv2 responder, HAProxy and dnsmasq. One boot, then the faults; each
 * test reads what that run established.
 */
import { formatResult, leftovers, localBootSupport, prepareImage, runLayout, type LayoutResult } from "../../tools/local-boot/run";

const why = localBootSupport();
let result: LayoutResult;
const lines: string[] = [];

beforeAll(async () => {
  if (why) throw new Error(`the local boot cannot run here: ${why}`);
  const log = (l: string) => lines.push(l);
  result = await runLayout("dev", prepareImage(log), log);
  process.stderr.write(`${formatResult(result)}\n`);
}, 45 * 60_000);

const ok = () => {
  if (!result.ok) throw new Error(`the dev layout failed:\n${result.error}\n--- harness log:\n${lines.slice(-40).join("\n")}`);
};

test("every node of the dev layout (1 control plane + 1 worker) is Ready", () => {
  ok();
  expect(result.total).toBeGreaterThanOrEqual(2);
  expect(result.ready).toBe(result.total);
});

test("exactly one machine ran kubeadm init, the control-plane node, and the init marker says so", () => {
  ok();
  expect(result.facts.init).toMatch(/^control-plane-0-/);
  expect(result.facts.initMarkerOwner).toMatch(/^i-/);
});

test("a Pod on the worker resolves the kubernetes Service through CoreDNS", () => {
  ok();
  expect(result.facts.dns).toMatch(/Address:? .*\d+\.\d+\.\d+\.\d+/);
});

test("a restarted worker comes back Ready without a second init", () => {
  ok();
  expect(result.facts["restart-joined-node"]).toMatch(/already bootstrapped/);
});

test("after a token rotation a new worker joins with the new token; the old one is gone", () => {
  ok();
  expect(result.facts["rotate-token-new-worker"]).toMatch(/joined with the rotated token/);
});

test("a worker whose join config pins the wrong CA fails its boot with its own kubeadm lines", () => {
  ok();
  expect(result.facts["broken-discovery"]).toMatch(/failed as it must/);
});

test("nothing the run started is left: no machine, namespace or cgroup", () => {
  expect(result).toBeDefined();
  expect(leftovers()).toEqual([]);
});
