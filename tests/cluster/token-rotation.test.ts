/**
 * Rotating the join token (cluster.tokenRotation) regenerates the token and rewrites the secret
 * bundles, but changes no user data: no node rolls.
 */
import { readFileSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { REPO_ROOT, runPlan } from "../../tools/plan/run";

async function planWithRotation(value: string | undefined) {
  const doc = parse(readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.staging.yaml"), "utf8"));
  if (value !== undefined) doc.config["pulumi-kubeadm-aws:cluster"].tokenRotation = value;
  const file = path.join(mkdtempSync(path.join(tmpdir(), "rotation-")), "Pulumi.staging.yaml");
  writeFileSync(file, stringify(doc));
  const r = await runPlan({ configFile: file });
  expect(r.errors).toEqual([]);
  expect(r.issues).toEqual([]);
  return r;
}

const userData = (r: Awaited<ReturnType<typeof runPlan>>) =>
  r.resources
    .filter((x) => x.type === "aws:ec2/instance:Instance" || x.type === "aws:ec2/launchTemplate:LaunchTemplate")
    .map((x) => [x.name, x.rawInputs.userData ?? x.rawInputs.userDataBase64] as const);

test("a new tokenRotation value regenerates the token and leaves every node's user data alone", async () => {
  const before = await planWithRotation(undefined);
  const after = await planWithRotation("2026-12");
  const keepers = (r: typeof before) =>
    r.resources
      .filter((x) => x.type === "random:index/randomString:RandomString" && /token/.test(x.name))
      .map((x) => [x.name, x.inputs.keepers]);
  expect(keepers(before)).toEqual([
    ["staging-pki-token-id", { rotation: "initial" }],
    ["staging-pki-token-secret", { rotation: "initial" }],
  ]);
  expect(keepers(after)).toEqual([
    ["staging-pki-token-id", { rotation: "2026-12" }],
    ["staging-pki-token-secret", { rotation: "2026-12" }],
  ]);
  const ud = userData(before);
  expect(ud.length).toBeGreaterThan(0);
  expect(ud.every(([, v]) => typeof v === "string" && v.length > 0)).toBe(true);
  expect(userData(after)).toEqual(ud);
});
