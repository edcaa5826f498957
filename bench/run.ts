/**
 * npm run bench: speed and size of the offline plan, per stack.
 *
 * - plan time: wall-clock of runPlan, median of several runs in this process (after a warm-up);
 * - resources: how many resources the stack declares;
 * - user data: the largest EC2 user data any instance or launch template carries, against AWS's
 *   hard limit of 16 KiB (base64-decoded) — the boot stub must stay far below it;
 * - plan.json: the size of what `plan --out` writes for reviewers.
 * Targets are printed beside the numbers; a benchmark reports, it does not fail the tests.
 */
import { readdirSync } from "fs";
import * as path from "path";
import { REPO_ROOT, runPlan } from "../tools/plan/run";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGETS = { planMs: 5000, userDataBytes: 16384 };

function userDataBytes(inputs: Record<string, unknown>): number {
  const b64 = inputs.userData ?? inputs.userDataBase64;
  if (typeof b64 !== "string" || b64 === "[secret]") return 0;
  const decoded = /^[A-Za-z0-9+/=\s]+$/.test(b64) && !b64.startsWith("#") ? Buffer.from(b64, "base64") : Buffer.from(b64);
  return decoded.length;
}

async function main(): Promise<void> {
  const stacks = readdirSync(path.join(REPO_ROOT, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s);
  const rows: Record<string, unknown>[] = [];
  for (const stack of stacks) {
    await runPlan({ stack }); // warm-up: module loading and JIT
    const times: number[] = [];
    let last = await runPlan({ stack });
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      last = await runPlan({ stack });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (!last.ok) throw new Error(`plan of ${stack} failed: ${[...last.issues.map((i) => i.message), ...last.errors].join("; ")}`);
    times.sort((a, b) => a - b);
    const maxUserData = Math.max(0, ...last.resources.map((r) => userDataBytes(r.inputs)));
    const planJsonBytes = Buffer.byteLength(
      JSON.stringify(last.resources.map((r) => ({ urn: r.urn, inputs: r.inputs, dependencies: r.dependencies }))),
    );
    rows.push({
      stack,
      resources: last.resources.length - 1,
      planMsMedian: Math.round(times[Math.floor(times.length / 2)]!),
      planMsMin: Math.round(times[0]!),
      maxUserDataBytes: maxUserData,
      planJsonKiB: Math.round(planJsonBytes / 1024),
    });
  }
  console.table(rows);
  for (const r of rows) {
    const okTime = (r.planMsMedian as number) <= TARGETS.planMs;
    const okUd = (r.maxUserDataBytes as number) <= TARGETS.userDataBytes;
    console.log(
      `${r.stack}: plan ${r.planMsMedian} ms (target <= ${TARGETS.planMs}) ${okTime ? "ok" : "OVER"}; user data ${r.maxUserDataBytes} B (limit ${TARGETS.userDataBytes}) ${okUd ? "ok" : "OVER"}`,
    );
  }
  console.log(JSON.stringify({ runs: RUNS, targets: TARGETS, results: rows }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
