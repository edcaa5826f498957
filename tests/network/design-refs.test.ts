/**
 * Code comments cite the decision they rely on by its section of docs/design.md, never by a seed
 * number ("DESIGN decision N") that nothing in this repository defines.
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const OWN = ["components/network", "components/node-pools", "components/environment", "components/config"];
const files = OWN.flatMap((d) =>
  readdirSync(path.join(ROOT, d))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `${d}/${f}`),
);
const headings = readFileSync(path.join(ROOT, "docs", "design.md"), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("#"))
  .map((l) => l.replace(/^#+\s*/, ""));

/** `docs/design.md, "<title>"` citations of a file, with comment line breaks (` * `) joined. */
function citations(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8").replace(/\n\s*\*\s*/g, " ");
  return [...text.matchAll(/docs\/design\.md, "([^"]+)"/g)].map((m) => m[1]!);
}

test("no numbered DESIGN references are left", () => {
  expect(files.filter((f) => /DESIGN decision/i.test(readFileSync(path.join(ROOT, f), "utf8")))).toEqual([]);
});

test.each([
  ["components/network/plan.ts", "Stable subnets: a pure per-AZ CIDR plan"],
  ["components/node-pools/node-pool.ts", "Node pools are a launch template and an Auto Scaling group"],
])('%s cites docs/design.md, "%s", a section that exists', (file, title) => {
  expect(citations(file)).toContain(title);
  for (const t of citations(file)) expect(headings).toContain(t);
});
