/**
 * Boots one local layout (tools/local-boot, docs/local-boot.md) once per test file, in `beforeAll`;
 * the file's tests then read what that run established. A failed run fails every test with the
 * run's error and the end of the harness log.
 */
import { formatResult, localBootSupport, prepareImage, runLayout, type LayoutResult } from "../../tools/local-boot/run";
import type { LayoutName } from "../../tools/local-boot/layouts";

export function bootLayout(name: LayoutName): () => LayoutResult {
  let result: LayoutResult | undefined;
  const lines: string[] = [];
  beforeAll(async () => {
    const why = localBootSupport();
    if (why) throw new Error(`the local boot cannot run here: ${why}`);
    // The test command builds the image first; when that failed, say so once instead of building it again per file.
    if (process.env.PKA_LOCAL_IMAGE_ERROR) throw new Error(`the local node image build failed: ${process.env.PKA_LOCAL_IMAGE_ERROR}`);
    const log = (l: string) => lines.push(l);
    result = await runLayout(name, prepareImage(log), log);
    process.stderr.write(`${formatResult(result)}\n`);
  }, 45 * 60_000);
  return () => {
    if (!result) throw new Error(`the ${name} layout did not run`);
    if (!result.ok) throw new Error(`the ${name} layout failed:\n${result.error}\n--- harness log:\n${lines.slice(-40).join("\n")}`);
    return result;
  };
}
