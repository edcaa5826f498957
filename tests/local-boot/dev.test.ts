/**
 * The dev layout booted for real from its exact user data (tools/local-boot, docs/local-boot.md):
 * real cloud-init, systemd, containerd, runc, kubelet and kubeadm in systemd-nspawn machines, AWS
 * stood in for by moto, an IMDSv2 responder, HAProxy and dnsmasq. One boot, then the faults.
 */
import { leftovers } from "../../tools/local-boot/run";
import { bootLayout } from "./boot-layout";

const run = bootLayout("dev");

test("every node of the dev layout (1 control plane + 1 worker, and the fault's new worker) is Ready", () => {
  const r = run();
  // control-plane-0, the first worker and the worker of the token rotation (the broken one is taken away)
  expect(r.total).toBe(3);
  expect(r.ready).toBe(3);
});

test("each machine booted the user data plan --out writes for its role, byte for byte", () => {
  const [roles, claim] = run().facts.userData!.split(": ");
  expect(roles!.split(", ").sort()).toEqual(["control-plane-0", "worker-general"]);
  expect(claim).toBe("byte for byte plan --out's cloud-init.yaml");
});

test("cloud-init ran every machine's user data to the end without an error", () => {
  expect(run().facts.cloudInit).toMatch(/^2 machines: status done, no errors$/);
});

test("exactly one machine ran kubeadm init, the control-plane node, and the init marker says so", () => {
  expect(run().facts.init).toMatch(/^control-plane-0-/);
  expect(run().facts.initMarkerOwner).toMatch(/^i-/);
});

test("a Pod on the worker resolves the kubernetes Service through CoreDNS", () => {
  expect(run().facts.dns).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local Address:? \d+\.\d+\.\d+\.\d+ \(attempt \d+\)$/);
});

test("a restarted worker comes back Ready without a second init", () => {
  expect(run().facts["restart-joined-node"]).toMatch(/already bootstrapped/);
});

test("after a token rotation a new worker joins with the new token; the old one is gone", () => {
  expect(run().facts["rotate-token-new-worker"]).toMatch(/joined with the rotated token/);
});

test("a worker whose join config pins the wrong CA fails its boot with its own kubeadm lines", () => {
  expect(run().facts["broken-discovery"]).toMatch(/failed as it must: .*none of the public keys/);
});

test("nothing the run started is left: no machine, namespace or cgroup", () => {
  run();
  expect(leftovers()).toEqual([]);
});
