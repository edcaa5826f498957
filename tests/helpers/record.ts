/** Helpers for tests over recorded resources (tools/plan/recorder.ts). */
import type { RecordedResource } from "../../tools/plan/recorder";
import type { Recording } from "../../tools/plan/run";

export { recordProgram, runPlan } from "../../tools/plan/run";

/** Every recorded resource of a Pulumi type token, e.g. `aws:ec2/subnet:Subnet`. */
export function ofType(rec: Pick<Recording, "resources">, type: string): RecordedResource[] {
  return rec.resources.filter((r) => r.type === type);
}

/** The one resource of a type whose logical name is `name` (throws otherwise, listing candidates). */
export function named(rec: Pick<Recording, "resources">, type: string, name: string): RecordedResource {
  const all = ofType(rec, type);
  const hit = all.filter((r) => r.name === name);
  if (hit.length !== 1)
    throw new Error(`expected one ${type} named ${name}, found ${hit.length}; names: ${all.map((r) => r.name).join(", ")}`);
  return hit[0]!;
}

/** Inputs of a resource, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function inputs(r: RecordedResource): Record<string, any> {
  return r.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
