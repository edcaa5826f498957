/**
 * The critical layout (3 dedicated etcd members on their data volumes + 1 control plane + 1 worker)
 * booted from its exact user data (the members by the same bootstrap unit and bundle fetch as every role); a member
 * is stopped and replaced by a new instance on its volume.
 */
import { leftovers } from "../../tools/local-boot/run";
import { bootLayout } from "./boot-layout";

const run = bootLayout("critical");

test("the three dedicated members form one etcd cluster and the control plane runs on it", () => {
  const r = run();
  expect(r.facts.etcd).toMatch(
    /^3\/3 members answer, one cluster, leader [0-9a-f]+; each booted by the bootstrap unit \(node bootstrapped \(/,
  );
  expect(r.facts.init).toMatch(/^control-plane-0-/);
  expect(r.ready).toBe(r.total);
  expect(r.total).toBe(2);
  const [roles, claim] = r.facts.userData!.split(": ");
  expect(roles!.split(", ").sort()).toEqual(["control-plane-0", "etcd-0", "etcd-1", "etcd-2", "worker-general"]);
  expect(claim).toBe("byte for byte plan --out's cloud-init.yaml");
  expect(r.facts.dns).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local Address:? \d+\.\d+\.\d+\.\d+ \(attempt \d+\)$/);
  expect(r.facts.cloudInit).toBe("5 machines: status done, no errors");
});

test("with one member down the API answers; its replacement on the same volume is the same member and has every write", () => {
  expect(run().facts["replace-etcd-member"]).toMatch(
    /answered 10\/10 .* mounted the volume etcd-\d-0 had formatted, is member [0-9a-f]+ again and serves both writes locally/,
  );
});

test("nothing the run started is left", () => {
  run();
  expect(leftovers()).toEqual([]);
});
