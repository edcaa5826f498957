/**
 * `npm run images:vars`: rewrites the generated Packer files (packer/versions.auto.pkrvars.json,
 * packer/manifest-variables.pkr.hcl, packer/image-tags.pkr.hcl) from DEFAULT_VERSIONS.
 * `--check` only compares, and exits 1 naming every stale file.
 */
import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { DEFAULT_VERSIONS } from "../versions/manifest";
import { packerGeneratedFiles } from "./packer";

/** The packer/ folder of this repository. */
export const PACKER_DIR = path.resolve(__dirname, "..", "..", "packer");

/** Paths (relative to `dir`) whose content differs from the render of DEFAULT_VERSIONS. */
export function stalePackerFiles(dir: string = PACKER_DIR): string[] {
  return Object.entries(packerGeneratedFiles(DEFAULT_VERSIONS))
    .filter(([file, content]) => !existsSync(path.join(dir, file)) || readFileSync(path.join(dir, file), "utf8") !== content)
    .map(([file]) => file);
}

/** Writes the generated files into `dir`; returns the paths written. */
export function writePackerFiles(dir: string = PACKER_DIR): string[] {
  const files = packerGeneratedFiles(DEFAULT_VERSIONS);
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  return Object.keys(files);
}

if (require.main === module) {
  if (process.argv.includes("--check")) {
    const stale = stalePackerFiles();
    if (stale.length > 0) {
      console.error(`stale generated Packer files (run npm run images:vars): ${stale.join(", ")}`);
      process.exit(1);
    }
    console.log("generated Packer files are up to date");
  } else {
    for (const f of writePackerFiles()) console.log(`wrote packer/${f}`);
  }
}
