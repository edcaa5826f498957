/** Deploy-time boot files: paths and modes known at plan time, contents from the value, a path that moves refused. */
import * as pulumi from "@pulumi/pulumi";
import { inputFiles } from "../../components/bootstrap/input-files";
import type { RoleFile } from "../../components/bootstrap/files";
import { recordProgram } from "../helpers/record";

const file = (path: string, content: string): RoleFile => ({ path, content, permissions: "0644", sensitive: false, viaBundle: true });

test("paths and modes come from the stand-in, contents from the value", async () => {
  let contents: string[] = [];
  let paths: string[] = [];
  const rec = await recordProgram(() => {
    const files = inputFiles(pulumi.output("real-bucket"), "bucket", (b) => [file("/etc/a.env", `BUCKET=${b}\n`), file("/etc/b", "x")]);
    paths = files.map((f) => f.path);
    pulumi.all(files.map((f) => f.content)).apply((c) => (contents = c));
  });
  expect(rec.errors).toEqual([]);
  expect(paths).toEqual(["/etc/a.env", "/etc/b"]);
  expect(contents).toEqual(["BUCKET=real-bucket\n", "x"]);
});

test("a render whose paths depend on the value is refused, naming both layouts", async () => {
  const rec = await recordProgram(() => {
    const files = inputFiles(pulumi.output("real"), "shape", (v) => [file(`/etc/${v}.env`, v)]);
    return { first: files[0]!.content };
  });
  expect(rec.errors.join("\n")).toContain(
    "boot files: their paths and modes must not depend on deploy-time values (planned /etc/shape.env 0644; got /etc/real.env 0644)",
  );
});
