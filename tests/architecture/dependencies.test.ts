/**
 * Dependencies point one way, read from the sources' import lines:
 * - the folders under components/ form no cycle (a folder that needs another's code sits above it);
 * - components/spec, the resolved model every component reads, is types and constants only;
 * - nothing under components/ reads components/config (stack config) but the package root: components
 *   take their args, the stack program resolves config into them;
 * - components/config uses only the pure part of node-pools (presets: no Pulumi, no AWS);
 * - components/core/labels is the kubelet's label rule, a leaf that config, node-pools and the renderer use.
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
const FOLDERS = readdirSync(COMPONENTS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const all = FOLDERS.flatMap((f) => tsFiles(path.join(COMPONENTS, f)).flatMap(importsOf));
const nodePools = all.filter((i) => i.file.startsWith("components/node-pools/"));
const config = all.filter((i) => i.file.startsWith("components/config/"));
const folderOf = (p: string) => (/^components\/([^/]+)\//.exec(p) ?? [])[1];

/** Folder -> folders it imports (outside itself), each edge with the import lines behind it. */
function folderGraph(imports: Import[]): Map<string, Map<string, string[]>> {
  const g = new Map<string, Map<string, string[]>>();
  for (const i of imports) {
    const from = folderOf(i.file);
    const to = folderOf(i.target);
    if (!from || !to || from === to || !FOLDERS.includes(to)) continue;
    const edges = g.get(from) ?? new Map<string, string[]>();
    edges.set(to, [...(edges.get(to) ?? []), `${i.file}: ${i.line}`]);
    g.set(from, edges);
  }
  return g;
}

/** Strongly connected groups of more than one folder (Tarjan): each is a cycle. */
function cycles(g: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

test("the import reader sees what it must (a self-check on known lines)", () => {
  expect(importsOf(path.join(COMPONENTS, "node-pools", "presets.ts"))).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ target: "components/spec/spec", typeOnly: true }),
      expect.objectContaining({ target: "components/core/labels", typeOnly: false }),
    ]),
  );
  expect(config.map((i) => i.target)).toContain("components/node-pools/presets");
});

test("the cycle finder finds a cycle, with the lines behind each edge", () => {
  const fake: Import[] = [
    { file: "components/a/x.ts", target: "components/b/y", typeOnly: false, line: "import y" },
    { file: "components/b/y.ts", target: "components/core/z", typeOnly: false, line: "import z" },
    { file: "components/core/z.ts", target: "components/a/x", typeOnly: true, line: "import type x" },
  ];
  const saved = FOLDERS.splice(0, FOLDERS.length, "a", "b", "core");
  try {
    expect(cycles(folderGraph(fake))).toEqual([["a", "b", "core"]]);
    expect(cycles(folderGraph(fake.slice(0, 2)))).toEqual([]);
  } finally {
    FOLDERS.splice(0, FOLDERS.length, ...saved);
  }
});

test("the folders under components/ import each other without a cycle", () => {
  const g = folderGraph(all);
  const found = cycles(g).map((group) =>
    group.flatMap((a) => group.filter((b) => g.get(a)?.has(b)).map((b) => `${a} -> ${b} (${g.get(a)!.get(b)!.join("; ")})`)),
  );
  expect(found).toEqual([]);
  expect(g.size).toBeGreaterThan(10); // the graph was read at all
});

test("components/spec is the model: it imports only types, and nothing of Pulumi or AWS", () => {
  const spec = all.filter((i) => i.file.startsWith("components/spec/") && !i.target.startsWith("components/spec/"));
  expect(spec.filter((i) => !i.typeOnly || i.target.startsWith("@pulumi/")).map((i) => `${i.file}: ${i.line}`)).toEqual([]);
});

test("no component reads stack config: only the package root imports components/config", () => {
  const readers = all.filter((i) => i.target.startsWith("components/config") && !i.file.startsWith("components/config/"));
  expect(readers.map((i) => `${i.file}: ${i.line}`)).toEqual([]);
});

test("no components/node-pools file imports config/resolve or config/rules", () => {
  const bad = nodePools.filter((i) => /^components\/config\/(resolve|rules)$/.test(i.target));
  expect(bad.map((i) => `${i.file}: ${i.line}`)).toEqual([]);
});

test("components/node-pools takes only types from components/spec", () => {
  const bad = nodePools.filter((i) => i.target.startsWith("components/spec") && !i.typeOnly);
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
    // components/config/rules.ts checks pool labels with node-pools' poolRuleProblems, which reads the rule here.
    "components/node-pools/presets.ts",
  ]);
});
