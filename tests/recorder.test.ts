import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as tls from "@pulumi/tls";
import { createHash, createPublicKey } from "crypto";
import { named, recordProgram } from "./helpers/record";

describe("recording mocks", () => {
  test("record parents, redact secrets, keep raw values for tests, catch duplicate urns", async () => {
    const rec = await recordProgram(() => {
      const parent = new pulumi.ComponentResource("pulumi-kubeadm-aws:test:Thing", "thing");
      new aws.ssm.Parameter("p", { name: "/x", type: "SecureString", value: pulumi.secret("hunter2") }, { parent });
      new aws.ssm.Parameter("p", { name: "/y", type: "String", value: "plain" }, { parent });
    });
    const p = rec.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter");
    expect(p[0]!.parent).toBe(rec.resources.find((r) => r.name === "thing")!.urn);
    expect(p[0]!.inputs.value).toBe("[secret]");
    expect(p[0]!.rawInputs.value).toBe("hunter2");
    expect(rec.errors.join("\n")).toMatch(/duplicate resource: .*aws:ssm\/parameter:Parameter::p/);
  });

  test("an unknown invoke fails the recording, naming the token", async () => {
    const rec = await recordProgram(async () => {
      await aws.ec2.getVpc({ default: true });
    });
    expect(rec.errors.join("\n")).toContain("aws:ec2/getVpc:getVpc");
  });

  test("tls private keys are real, so a SubjectPublicKeyInfo hash can be computed from them", async () => {
    let pem = "";
    const rec = await recordProgram(() => {
      const k = new tls.PrivateKey("ca", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      k.publicKeyPem.apply((x) => (pem = x));
    });
    expect(rec.errors).toEqual([]);
    const der = createPublicKey(pem).export({ type: "spki", format: "der" });
    expect(createHash("sha256").update(der).digest("hex")).toMatch(/^[0-9a-f]{64}$/);
    expect(named(rec, "tls:index/privateKey:PrivateKey", "ca").inputs.ecdsaCurve).toBe("P256");
  });
});
