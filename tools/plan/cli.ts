/**
 * npm run plan -- --stack dev [--json] [--out DIR]
 * npm run plan -- --config path/to/Pulumi.mine.yaml
 *
 * Exit codes: 0 planned; 1 invalid config or a failed plan; 2 bad usage.
 */
import { toJson, toText, writeOut } from "./format";
import { runPlan } from "./run";

const USAGE = "usage: npm run plan -- (--stack NAME | --config FILE) [--json] [--out DIR]";

async function cli(argv: string[]): Promise<number> {
  let stack: string | undefined;
  let configFile: string | undefined;
  let json = false;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--stack" || a === "-s") stack = value();
    else if (a === "--config") configFile = value();
    else if (a === "--json") json = true;
    else if (a === "--out") out = value();
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return 0;
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!stack && !configFile) throw new Error(USAGE);
  const result = await runPlan({ stack, configFile });
  if (out && result.ok) writeOut(result, out);
  if (json) console.log(JSON.stringify(toJson(result), null, 2));
  else console.log(toText(result));
  if (out && result.ok && !json) console.log(`\nWrote ${out}/plan.json and ${out}/artifacts/`);
  return result.ok ? 0 : 1;
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
