/**
 * The real kubelet (the manifest's version, tools/k8s/build.ts) judges the label rule of
 * components/core/labels.ts. The kubelet validates --node-labels before it reads its config file,
 * so `kubelet --node-labels=... --config=<missing file>` exits at once with either the label error
 * (refused) or the missing-config error (accepted): nothing runs, nothing is written.
 */
import { spawnSync } from "child_process";
import fc from "fast-check";
import { existsSync } from "fs";
import { KUBELET_LABEL_RULE, kubeletLabelProblem, labelKeyProblem, labelValueProblem } from "../../components/core/labels";
import { k8sBin } from "../helpers/k8s-bin";
import { qualifiedLabelKeys } from "./label-fixtures";

const MISSING_CONFIG = "/nonexistent/pulumi-kubeadm-aws/kubelet-config.yaml";

interface Verdict {
  /** The keys the kubelet refused for their namespace; undefined when it stopped on syntax instead. */
  refused?: string[];
  /** The kubelet stopped on a malformed key or value. */
  invalid: boolean;
  /** The kubelet accepted every label (and stopped on the missing config). */
  accepted: boolean;
  /** What the kubelet says is allowed, from its own message. */
  allowedNamespaces?: string[];
  allowedKeys?: string[];
  stderr: string;
}

function askKubelet(labels: Record<string, string>): Verdict {
  expect(existsSync(MISSING_CONFIG)).toBe(false);
  const flag = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const r = spawnSync(k8sBin("kubelet"), [`--node-labels=${flag}`, `--config=${MISSING_CONFIG}`], { encoding: "utf8", timeout: 60_000 });
  const stderr = `${r.stderr}`;
  expect(r.status).not.toBe(0);
  const unknown = /unknown 'kubernetes\.io' or 'k8s\.io' labels specified with --node-labels: \[([^\]]*)\]/.exec(stderr);
  const allowed = /must begin with an allowed prefix \(([^)]*)\) or be in the specifically allowed set \(([^)]*)\)/.exec(stderr);
  const verdict: Verdict = {
    refused: unknown ? unknown[1]!.split(" ").filter((k) => k !== "") : undefined,
    invalid: stderr.includes("invalid node labels"),
    accepted: stderr.includes("failed to load kubelet config file"),
    allowedNamespaces: allowed ? allowed[1]!.split(", ") : undefined,
    allowedKeys: allowed ? allowed[2]!.split(", ") : undefined,
    stderr,
  };
  // Exactly one of the three outcomes, or the test is not asking what it thinks it asks.
  expect([verdict.refused !== undefined, verdict.invalid, verdict.accepted].filter(Boolean)).toHaveLength(1);
  return verdict;
}

test("the kubelet's own table is ours (namespaces and keys, as its --node-labels error prints them)", () => {
  const v = askKubelet({ "node-role.kubernetes.io/x": "" });
  expect(v.refused).toEqual(["node-role.kubernetes.io/x"]);
  expect(v.allowedNamespaces).toEqual([...KUBELET_LABEL_RULE.allowedNamespaces]);
  expect(v.allowedKeys).toEqual([...KUBELET_LABEL_RULE.allowedKeys]);
});

test.each([
  ["beta.kubernetes.io/instance-type", false],
  ["node-role.kubernetes.io/x", true],
  ["node.kubernetes.io/foo", false],
  ["kubelet.kubernetes.io/x", false],
  ["example.com/x", false],
])("the kubelet on %s (refused: %s) agrees with kubeletLabelProblem", (key, refused) => {
  const v = askKubelet({ [key]: "v" });
  expect(v.refused !== undefined).toBe(refused);
  expect(v.accepted).toBe(!refused);
  expect(kubeletLabelProblem(key) !== undefined).toBe(refused);
});

test("property: over random qualified keys, the kubelet refuses exactly the keys kubeletLabelProblem refuses", () => {
  const keys = [...new Set(fc.sample(qualifiedLabelKeys, { numRuns: 400, seed: 20260 }))];
  for (const k of keys) expect(labelKeyProblem(k)).toBeUndefined();
  const v = askKubelet(Object.fromEntries(keys.map((k) => [k, "v"])));
  const ours = keys.filter((k) => kubeletLabelProblem(k) !== undefined).sort();
  expect(ours.length).toBeGreaterThan(20);
  expect(ours.length).toBeLessThan(keys.length - 20);
  expect(v.refused ?? []).toEqual(ours);
});

test.each([
  ["a malformed key", "bad key", "v"],
  ["a key with an empty name", "example.com/", "v"],
  ["an uppercase prefix", "Example.com/x", "v"],
  ["a malformed value", "example.com/x", "not ok!"],
  ["a value too long", "example.com/x", "x".repeat(64)],
])("%s: the kubelet refuses it and so do we", (_title, key, value) => {
  const v = askKubelet({ [key]: value });
  expect(v.invalid).toBe(true);
  expect(labelKeyProblem(key) ?? labelValueProblem(value)).toBeDefined();
});
