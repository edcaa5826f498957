/**
 * The standard layout (the staging stack: 3 control planes on stacked etcd, a general and a tainted
 * ingress worker) booted from its exact user data, with the init claimant killed while the others boot.
 */
import { leftovers } from "../../tools/local-boot/run";
import { bootLayout } from "./boot-layout";

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
