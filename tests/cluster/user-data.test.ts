/**
 * The user data as attached to the machines (instance userData, launch template base64) passes the
 * real `cloud-init schema`: proves the wiring and encoding, not only the renderer.
 */
import { execFileSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { Cluster } from "../../components/cluster";
import { inputs, ofType, recordProgram } from "../helpers/record";
import { decodeBase64, stackSpec, testEnvironment } from "./fixtures";

test("every control-plane and pool user data of the prod cluster passes cloud-init schema and fits EC2's 16 KiB", async () => {
  const spec = stackSpec("prod");
  const rec = await recordProgram(
    () => {
      new Cluster(spec.name, {
        spec,
        environment: testEnvironment(spec),
      });
    },
    { region: spec.region, availabilityZones: spec.availabilityZones },
  );
  expect(rec.errors).toEqual([]);
  const docs: [string, string][] = [
    ...ofType(rec, "aws:ec2/instance:Instance")
      .filter((r) => /-cp-\d$/.test(r.name))
      .map((r) => [r.name, inputs(r).userData as string] as [string, string]),
    ...ofType(rec, "aws:ec2/launchTemplate:LaunchTemplate").map((r) => [r.name, decodeBase64(inputs(r).userData)] as [string, string]),
  ];
  expect(docs.length).toBe(spec.controlPlane.count + spec.nodePools.length);
  const dir = mkdtempSync(path.join(tmpdir(), "cluster-user-data-"));
  for (const [name, doc] of docs) {
    expect(doc.startsWith("#cloud-config\n")).toBe(true);
    expect(Buffer.byteLength(doc)).toBeLessThanOrEqual(16384);
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, doc);
    // Throws (fails the test) when cloud-init is missing or rejects the document.
    const out = execFileSync("cloud-init", ["schema", "-c", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toMatch(/Valid (schema|cloud-config)/i);
  }
}, 120000);
