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

describe("errors while inputs are serialised", () => {
  test("a throwing apply used by several resources is one error, located, and every resource still registers", async () => {
    const rec = await recordProgram(() => {
      const parent = new pulumi.ComponentResource("pulumi-kubeadm-aws:test:Thing", "thing");
      const bad = pulumi.output("vpc-1").apply((id): string => {
        throw new Error(`subnet check failed for ${id}`);
      });
      new aws.ssm.Parameter("a", { name: "/a", type: "String", value: bad }, { parent });
      new aws.ssm.Parameter("b", { name: "/b", type: "String", value: pulumi.interpolate`${bad}/b` }, { parent });
      return { bad }; // and a stack output
    });
    // Had the rejection escaped, jest would fail this test on its own (an unhandled rejection per derived promise).
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toMatch(/^subnet check failed for vpc-1 \(thrown in an apply at tests\/recorder\.test\.ts:\d+\)$/);
    const params = rec.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter");
    expect(params.map((p) => [p.name, p.inputs.name, p.inputs.value])).toEqual([
      ["a", "/a", undefined],
      ["b", "/b", undefined],
    ]);
  });

  test("the same message from different sources is reported once; different messages each once", async () => {
    const rec = await recordProgram(() => {
      for (const n of ["d", "e"]) {
        const v = pulumi.output(n).apply((): string => {
          throw new Error("same failure");
        });
        new aws.ssm.Parameter(n, { name: `/${n}`, type: "String", value: v });
      }
      new aws.ssm.Parameter("f", {
        name: "/f",
        type: "String",
        value: pulumi.output("x").apply((): string => {
          throw new Error("other failure");
        }),
      });
    });
    expect(rec.errors.map((e) => e.replace(/ \(thrown in an apply at .*\)$/, ""))).toEqual(["same failure", "other failure"]);
  });
});
