/**
 * Dependencies point one way. Allowed:
 *   components/config     -> components/node-pools/presets (pure: pool completion from presets)
 *   components/config, components/node-pools, components/bootstrap -> components/core/labels (the kubelet's label rule)
 *   components/node-pools -> components/config/spec, as types only (NodePoolSpec and friends)
 * Not allowed: components/node-pools -> config/resolve, config/rules, config/schema, config/index
 * (config depends on node-pools, never back), and components/core/labels -> anything of the project.
 * Read from the sources' import lines.
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const COMPONENTS = path.join(ROOT, "components");

interface Import {
  file: string;
  /** The imported module, resolved to a path relative to the repository, without extension (or the bare package name). */
  target: string;
  typeOnly: boolean;
  line: string;
}

/** Every static import/export-from, dynamic import and require of a TypeScript file. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const out: Import[] = [];
  const statement =
    /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']|^\s*import\s+["']([^"']+)["']|(?:import|require)\(\s*["']([^"']+)["']\s*\)/gm;
  for (const m of text.matchAll(statement)) {
    const spec = m[4] ?? m[5] ?? m[6]!;
    const target = spec.startsWith(".") ? path.relative(ROOT, path.resolve(path.dirname(file), spec)).replace(/\.(ts|js)$/, "") : spec;
    const namedTypesOnly =
      m[3] !== undefined &&
      /^\{[^}]*\}$/.test(m[3].trim()) &&
      m[3]
        .replace(/[{}]/g, "")
        .split(",")
        .every((s) => s.trim() === "" || s.trim().startsWith("type "));
    out.push({ file: path.relative(ROOT, file), target, typeOnly: m[2] !== undefined || namedTypesOnly, line: m[0].trim() });
  }
  return out;
}

const tsFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
const nodePools = tsFiles(path.join(COMPONENTS, "node-pools")).flatMap(importsOf);
const config = tsFiles(path.join(COMPONENTS, "config")).flatMap(importsOf);

test("the import reader sees what it must (a self-check on known lines)", () => {
  expect(importsOf(path.join(COMPONENTS, "node-pools", "presets.ts"))).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ target: "components/config/spec", typeOnly: true }),
      expect.objectContaining({ target: "components/core/labels", typeOnly: false }),
    ]),
  );
  expect(config.map((i) => i.target)).toContain("components/node-pools/presets");
});

test("no components/node-pools file imports config/resolve or config/rules", () => {
  const bad = nodePools.filter((i) => /^components\/config\/(resolve|rules)$/.test(i.target));
  expect(bad.map((i) => `${i.file}: ${i.line}`)).toEqual([]);
});

test("components/node-pools takes nothing from components/config but config/spec's types", () => {
  const bad = nodePools.filter((i) => i.target.startsWith("components/config") && !(i.target === "components/config/spec" && i.typeOnly));
  expect(bad.map((i) => `${i.file}: ${i.line}`)).toEqual([]);
});

test("components/config uses only the pure part of node-pools (presets: no Pulumi, no AWS)", () => {
  const used = [...new Set(config.filter((i) => i.target.startsWith("components/node-pools")).map((i) => i.target))];
  expect(used).toEqual(["components/node-pools/presets"]);
  for (const target of used) {
    expect(
      importsOf(path.join(ROOT, `${target}.ts`))
        .filter((i) => i.target.startsWith("@pulumi/"))
        .map((i) => i.line),
    ).toEqual([]);
  }
});

test("the label rule is a leaf every user imports: config, node-pools and the renderer, and it imports nothing", () => {
  expect(importsOf(path.join(COMPONENTS, "core", "labels.ts"))).toEqual([]);
  const users = [...config, ...nodePools, ...importsOf(path.join(COMPONENTS, "bootstrap", "kubeadm.ts"))]
    .filter((i) => i.target === "components/core/labels")
    .map((i) => i.file);
  expect([...new Set(users)].sort()).toEqual([
    "components/bootstrap/kubeadm.ts",
    "components/config/index.ts",
    "components/config/rules.ts",
    "components/node-pools/presets.ts",
  ]);
});
