/**
 * The offline plan: runs the real stack program under Pulumi's runtime mocks with one stack's
 * config file. No AWS credentials, no Pulumi CLI, nothing deployed.
 */
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { ConfigError, resolveClusterSpec, type ConfigIssue } from "../../components/config";
import { type ClusterSpec } from "../../components/spec";
import { setArtifactSink, type BootFile } from "../../components/core/artifacts";
import { PlanMocks, type MockContext } from "./mocks";
import { captureInputErrors, RecordingMonitor, rootMessage, type RecordedResource } from "./recorder";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");

export const PROJECT = "pulumi-kubeadm-aws";
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface PlanOptions {
  /** A stack name: reads stacks/Pulumi.<stack>.yaml. */
  stack?: string;
  /** Any stack config file (overrides `stack` for the file; the stack name is taken from the file name). */
  configFile?: string;
  /** Mocks to plan with (tests that need real certificates). @default PlanMocks */
  mocks?: RecordOptions["mocks"];
}

export interface PlanResult {
  ok: boolean;
  stack: string;
  configFile: string;
  /** Config problems (the program stopped before creating anything). */
  issues: ConfigIssue[];
  /** Other failures: program errors, unknown invokes, duplicate urns. */
  errors: string[];
  spec?: ClusterSpec;
  resources: RecordedResource[];
  /** Stack outputs, secrets replaced by "[secret]". */
  outputs: Record<string, unknown>;
  /** Boot files per machine role. */
  artifacts: Map<string, BootFile[]>;
}

export function stackConfigPath(stack: string): string {
  return path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** The `config:` map of a stack file as Pulumi hands it to a program: namespaced keys, string values. */
export function readStackConfig(file: string): { config: Record<string, string>; secretKeys: string[]; raw: Record<string, unknown> } {
  const doc = parseYaml(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw = doc?.config ?? {};
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    const key = k.includes(":") ? k : `${PROJECT}:${k}`;
    if (typeof v === "object" && v !== null && "secure" in v) {
      config[key] = "[secret]"; // encrypted values cannot be read offline
      secretKeys.push(key);
    } else {
      config[key] = typeof v === "string" ? v : JSON.stringify(v);
    }
  }
  return { config, secretKeys, raw };
}

export async function runPlan(opts: PlanOptions): Promise<PlanResult> {
  const configFile = path.resolve(opts.configFile ?? stackConfigPath(opts.stack ?? "dev"));
  const stack = opts.stack ?? path.basename(configFile).match(/^Pulumi\.(.+)\.ya?ml$/)?.[1] ?? "plan";
  const result: PlanResult = { ok: false, stack, configFile, issues: [], errors: [], resources: [], outputs: {}, artifacts: new Map() };
  if (!existsSync(configFile)) {
    result.errors.push(`no stack config file at ${configFile}`);
    return result;
  }
  const { config, secretKeys } = readStackConfig(configFile);

  // Validate first: with bad config nothing runs, and every problem is reported.
  let clusterRaw: unknown;
  try {
    clusterRaw = config[`${PROJECT}:cluster`] === undefined ? undefined : JSON.parse(config[`${PROJECT}:cluster`]!);
  } catch {
    clusterRaw = config[`${PROJECT}:cluster`];
  }
  try {
    result.spec = resolveClusterSpec(clusterRaw);
  } catch (e) {
    if (e instanceof ConfigError) {
      result.issues = e.issues;
      return result;
    }
    throw e;
  }

  try {
    // Import here so that the program's modules see the mocked runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { main } = require("../../stacks/program") as typeof import("../../stacks/program");
    const rec = await recordProgram(main, {
      region: result.spec.region,
      availabilityZones: result.spec.availabilityZones,
      stack,
      config,
      secretKeys,
      mocks: opts.mocks,
    });
    result.resources = rec.resources;
    result.artifacts = rec.artifacts;
    result.outputs = rec.outputs;
    result.errors.push(...rec.errors);
  } catch (e) {
    if (e instanceof ConfigError) result.issues = e.issues;
    else throw e;
  }
  result.ok = result.issues.length === 0 && result.errors.length === 0;
  return result;
}

export interface RecordOptions {
  region?: string;
  availabilityZones?: string[];
  stack?: string;
  /** Namespaced config values, as strings. */
  config?: Record<string, string>;
  secretKeys?: string[];
  /**
   * The mocks to record with, e.g. a subclass that mints real certificates for tests that run a real
   * control plane. @default new PlanMocks({ region, availabilityZones })
   */
  mocks?: (ctx: MockContext) => PlanMocks;
}

export interface Recording {
  resources: RecordedResource[];
  artifacts: Map<string, BootFile[]>;
  /** Outputs of the program (stack outputs), secrets replaced by "[secret]". */
  outputs: Record<string, unknown>;
  /**
   * Program errors, errors thrown in applies or while a resource's inputs were serialised, unknown
   * invokes, duplicate urns, artifacts published twice: each distinct message once.
   */
  errors: string[];
}

/**
 * Runs `program` (which creates resources) under the recording mocks and waits for every
 * registration to settle. Components' unit tests use it directly; the plan runs the stack program
 * with it. A ConfigError thrown by the program is rethrown; other errors are returned in `errors`,
 * each distinct message once (a failed value used by a dozen resources is one error, not twelve).
 */
export async function recordProgram(program: () => unknown, opts: RecordOptions = {}): Promise<Recording> {
  const region = opts.region ?? "eu-west-1";
  const ctx: MockContext = { region, availabilityZones: opts.availabilityZones ?? [`${region}a`, `${region}b`, `${region}c`] };
  const mocks = opts.mocks ? opts.mocks(ctx) : new PlanMocks(ctx);
  const monitor = new RecordingMonitor(mocks);
  const stack = opts.stack ?? "test";
  await pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
  pulumi.runtime.setMockOptions(monitor, PROJECT, stack, false);
  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
  const rec: Recording = { resources: [], artifacts: new Map(), outputs: {}, errors: [] };
  const seen = new Set<string>();
  const report = (message: string) => {
    if (!seen.has(message)) rec.errors.push(message);
    seen.add(message);
  };
  setArtifactSink((role, files) => {
    const list = rec.artifacts.get(role) ?? [];
    for (const f of files) {
      if (list.some((x) => x.path === f.path)) report(`boot artifact ${role}/${f.path} is published twice`);
      list.push(f);
    }
    rec.artifacts.set(role, list);
  });
  let configError: ConfigError | undefined;
  // A failed invoke also rejects promises inside the Pulumi runtime that nobody awaits; record them
  // (outside jest, whose sandbox keeps these events to itself). Errors thrown in applies or while
  // inputs are serialised are caught where they happen (captureInputErrors).
  const onRejection = (reason: unknown) => {
    const message = rootMessage(reason);
    if (![...seen].some((m) => m.startsWith(message))) report(`unhandled rejection: ${message}`);
  };
  process.on("unhandledRejection", onRejection);
  const restore = captureInputErrors(report, REPO_ROOT);
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        return (await program()) as Record<string, unknown> | undefined;
      } catch (e) {
        if (e instanceof ConfigError) configError = e;
        else report(e instanceof Error ? (e.stack ?? e.message) : String(e));
        return undefined;
      }
    });
    await settings.waitForRPCs();
  } catch (e) {
    if (!configError) report(e instanceof Error ? (e.stack ?? e.message) : String(e));
  } finally {
    setArtifactSink(undefined);
    await new Promise((r) => setImmediate(r));
    process.off("unhandledRejection", onRejection);
    restore();
  }
  if (configError) throw configError;
  for (const p of monitor.problems) report(p);
  rec.resources = [...monitor.records.values()];
  rec.outputs = rec.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
  return rec;
}
