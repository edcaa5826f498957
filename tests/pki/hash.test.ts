/** The discovery hash against openssl (kubeadm's documented recipe), the token format, the rotation window. */
import { generateKeyPairSync } from "crypto";
import fc from "fast-check";
import { BOOTSTRAP_TOKEN_RE, discoveryHash, rotationWindow } from "../../components/pki";
import { runTool, writeTree } from "../bootstrap/tools";

describe("discoveryHash", () => {
  test.each(["rsa", "ec"] as const)("equals openssl's sha256 of the DER SubjectPublicKeyInfo (%s key)", (kind) => {
    const { publicKey } =
      kind === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const dir = writeTree([{ path: "pub.pem", content: pem }]);
    const der = runTool("openssl", ["pkey", "-pubin", "-in", `${dir}/pub.pem`, "-outform", "DER", "-out", `${dir}/pub.der`]);
    expect(der.status).toBe(0);
    const dgst = runTool("openssl", ["dgst", "-sha256", "-hex", `${dir}/pub.der`]);
    const hex = /= ([0-9a-f]{64})/.exec(dgst.stdout)![1];
    expect(discoveryHash(pem)).toBe(`sha256:${hex}`);
  });
});

describe("bootstrap token format", () => {
  test("accepts kubeadm's format only", () => {
    expect(BOOTSTRAP_TOKEN_RE.test("abcdef.0123456789abcdef")).toBe(true);
    for (const bad of ["ABCDEF.0123456789abcdef", "abcde.0123456789abcdef", "abcdef0123456789abcdef", "abcdef.0123456789abcde_"])
      expect(BOOTSTRAP_TOKEN_RE.test(bad)).toBe(false);
  });
});

describe("rotationWindow", () => {
  test("examples", () => {
    expect(rotationWindow(new Date("1970-01-01T00:00:00Z"), 30)).toBe("1970-01-01");
    expect(rotationWindow(new Date("1970-01-30T23:59:59Z"), 30)).toBe("1970-01-01");
    expect(rotationWindow(new Date("1970-01-31T00:00:00Z"), 30)).toBe("1970-01-31");
    expect(() => rotationWindow(new Date(), 0)).toThrow(/periodDays/);
  });

  test("constant within a period, different across periods, never in the future", () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: day - 1 }),
        (d, period, ms) => {
          const t = new Date(d * day + ms);
          const key = rotationWindow(t, period);
          const start = Date.parse(`${key}T00:00:00Z`);
          expect(start).toBeLessThanOrEqual(t.getTime());
          expect(t.getTime() - start).toBeLessThan(period * day);
          expect(rotationWindow(new Date(start), period)).toBe(key);
          expect(rotationWindow(new Date(start + period * day), period)).not.toBe(key);
        },
      ),
    );
  });
});
