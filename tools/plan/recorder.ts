/**
 * A mock resource monitor that records every registration the program makes: urn, type, name,
 * parent, inputs (secrets replaced by "[secret]"), dependencies and resource options. Pulumi's own
 * mocks neither report parents nor catch duplicate urns; this does both.
 */
import type * as pulumi from "@pulumi/pulumi";

// The mock monitor and the RPC helpers are public modules of @pulumi/pulumi without typings for the subclass.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc");

// eslint-disable-next-line @typescript-eslint/no-require-imports
const outputModule = require("@pulumi/pulumi/output");

export const SECRET = "[secret]";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** Parent urn; undefined for the stack itself. */
  parent?: string;
  custom: boolean;
  /** Inputs, with every secret value replaced by "[secret]". */
  inputs: Record<string, unknown>;
  /** Inputs with secrets revealed: for tests only, never printed by the plan. */
  rawInputs: Record<string, unknown>;
  /** Urns this resource depends on. */
  dependencies: string[];
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  deleteBeforeReplace: boolean;
  /** Aliases as sent to the engine: an old urn, or the parts of the old identity that differ (empty parts omitted). */
  aliases: RecordedAlias[];
  /** The id the mocks assigned (custom resources). */
  id?: string;
  /** Outputs registered by a component (registerOutputs), secrets replaced. */
  outputs?: Record<string, unknown>;
  /** The same outputs with secrets revealed: for tests only (e.g. the admin kubeconfig against a real API server), never printed. */
  rawOutputs?: Record<string, unknown>;
}

export type RecordedAlias =
  string | { name?: string; type?: string; stack?: string; project?: string; parentUrn?: string; noParent?: boolean };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function recordAlias(a: any): RecordedAlias {
  const o = a.toObject() as {
    urn?: string;
    spec?: { name: string; type: string; stack: string; project: string; parenturn?: string; noparent?: boolean };
  };
  if (o.urn) return o.urn;
  const spec = o.spec ?? { name: "", type: "", stack: "", project: "" };
  const out: Exclude<RecordedAlias, string> = {};
  if (spec.name) out.name = spec.name;
  if (spec.type) out.type = spec.type;
  if (spec.stack) out.stack = spec.stack;
  if (spec.project) out.project = spec.project;
  if (spec.parenturn) out.parentUrn = spec.parenturn;
  if (spec.noparent) out.noParent = true;
  return out;
}

function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/** Replaces secret values by "[secret]" (redact) or by their plain value (reveal). */
export function sanitize(v: unknown, mode: "redact" | "reveal"): unknown {
  if (isSecretValue(v)) return mode === "redact" ? SECRET : sanitize(v.value, mode);
  if (Array.isArray(v)) return v.map((x) => sanitize(x, mode));
  if (typeof v === "object" && v !== null) {
    const sig = (v as Record<string, unknown>)[rpc.specialSigKey];
    if (sig !== undefined) return v; // other special values (assets, resource references) are kept as they are
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sanitize(x, mode)]));
  }
  return v;
}

export class RecordingMonitor extends MockMonitor {
  readonly records = new Map<string, RecordedResource>();
  readonly problems: string[] = [];

  constructor(mocks: pulumi.runtime.Mocks) {
    super(mocks);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async registerResource(req: any, callback: (err: any, resp?: any) => void): Promise<void> {
    const urn: string = this.newUrn(req.getParent(), req.getType(), req.getName());
    const inputs = rpc.deserializeProperties(req.getObject());
    if (this.records.has(urn)) {
      this.problems.push(`duplicate resource: ${urn} is registered twice (child names must be unique)`);
    }
    const rec: RecordedResource = {
      urn,
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent() || undefined,
      custom: req.getCustom(),
      inputs: sanitize(inputs, "redact") as Record<string, unknown>,
      rawInputs: sanitize(inputs, "reveal") as Record<string, unknown>,
      dependencies: [...new Set<string>(req.getDependenciesList())],
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      deleteBeforeReplace: req.getDeletebeforereplace() === true,
      aliases: (req.getAliasesList?.() ?? []).map(recordAlias),
    };
    this.records.set(urn, rec);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await super.registerResource(req, (err: any, resp?: any) => {
      if (err) this.problems.push(`${urn}: ${String(err?.message ?? err)}`);
      else if (resp?.getId) rec.id = resp.getId() || undefined;
      callback(err, resp);
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  registerResourceOutputs(req: any, callback: (err: any, resp?: any) => void): void {
    const rec = this.records.get(req.getUrn());
    if (rec) {
      const outputs = rpc.deserializeProperties(req.getOutputs());
      rec.outputs = sanitize(outputs, "redact") as Record<string, unknown>;
      rec.rawOutputs = sanitize(outputs, "reveal") as Record<string, unknown>;
    }
    super.registerResourceOutputs(req, callback);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async invoke(req: any, callback: (err: any, resp?: any) => void): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await super.invoke(req, (err: any, resp?: any) => {
      if (err) {
        this.problems.push(`invoke ${req.getTok()}: ${String(err?.message ?? err)}`);
        // The runtime reports a failed invoke by the gRPC error's `details`.
        if (err instanceof Error && (err as Error & { details?: string }).details === undefined) {
          (err as Error & { details?: string }).details = err.message;
        }
      }
      callback(err, resp);
    });
  }
}

/** An error's message without the "error serializing property ..." prefixes the runtime adds on the way up. */
export function rootMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/^(?:error serializing property "[^"]*": )+/, "");
}

/** The first stack frame of an error that is our code (not node_modules), as `path:line`, relative to `root`. */
function ownFrame(e: unknown, root: string): string | undefined {
  const stack = e instanceof Error ? (e.stack ?? "") : "";
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):\d+\)?\s*$/.exec(line);
    if (m && !m[1]!.includes("node_modules") && !m[1]!.includes("tools/plan/recorder")) {
      return `${m[1]!.startsWith(root) ? m[1]!.slice(root.length + 1) : m[1]}:${m[2]}`;
    }
  }
  return undefined;
}

/**
 * While a program is recorded, an `apply` callback that throws (how components fail a deployment
 * on a bad value they can only check once it is known) is reported once, where it happened, and
 * its Output becomes unknown. Without this, Pulumi raises the error while serialising every
 * resource input derived from it, as a cascade of unhandled rejections (one per derived promise;
 * jest's sandbox reports each as a separate failure and none reaches the recording). With it,
 * every resource that uses the value still registers, with that input unknown, and nothing
 * downstream fails again for the same reason. Only the recording changes: a real deployment still
 * fails on the error. `report` may receive a message more than once (callers deduplicate). Returns
 * the undo.
 */
export function captureInputErrors(report: (message: string) => void, root: string): () => void {
  const proto = outputModule.Output.prototype as { apply: (func: (v: unknown) => unknown, runWithUnknowns?: boolean) => unknown };
  const originalApply = proto.apply;
  proto.apply = function apply(this: unknown, func: (v: unknown) => unknown, runWithUnknowns?: boolean) {
    const guarded = async (v: unknown) => {
      try {
        return await func(v);
      } catch (e) {
        const at = ownFrame(e, root);
        report(`${rootMessage(e)}${at ? ` (thrown in an apply at ${at})` : " (thrown in an apply)"}`);
        return outputModule.unknown;
      }
    };
    return originalApply.call(this, guarded, runWithUnknowns);
  };
  return () => {
    proto.apply = originalApply;
  };
}
