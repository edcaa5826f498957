/**
 * Mocks that mint REAL certificates: the library's PKI code path (ClusterPki, the etcd member
 * certificates) declares `tls:` resources with subjects, SANs, usages and validity; these mocks
 * sign exactly what those inputs ask for with openssl, from the real keys PlanMocks already
 * generates. A real kube-apiserver, etcd and kubeadm then judge the result, so a wrong usage, SAN or
 * CA flag in the library fails a test instead of passing a fake PEM along.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { PlanMocks, type MockContext } from "../../tools/plan/mocks";

type State = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};
const EXT_KEY_USAGE: Record<string, string> = {
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
};

interface Subject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  locality?: string;
  province?: string;
}

interface CsrInputs {
  subject?: Subject;
  dnsNames?: string[];
  ipAddresses?: string[];
}

function subjectArg(s: Subject | undefined): string {
  const parts: string[] = [];
  const esc = (v: string) => v.replace(/[/\\=]/g, (c) => `\\${c}`);
  if (s?.country) parts.push(`C=${esc(s.country)}`);
  if (s?.province) parts.push(`ST=${esc(s.province)}`);
  if (s?.locality) parts.push(`L=${esc(s.locality)}`);
  if (s?.organization) parts.push(`O=${esc(s.organization)}`);
  if (s?.organizationalUnit) parts.push(`OU=${esc(s.organizationalUnit)}`);
  if (s?.commonName) parts.push(`CN=${esc(s.commonName)}`);
  return `/${parts.join("/")}`;
}

/** The v3 extensions a tls certificate with these inputs carries. */
function extensions(i: State, sans: CsrInputs): string {
  const uses: string[] = i.allowedUses ?? [];
  const unknown = uses.filter((u) => !(u in KEY_USAGE) && !(u in EXT_KEY_USAGE) && u !== "any_extended");
  if (unknown.length > 0) throw new Error(`real-tls mocks: unknown allowedUses ${unknown.join(", ")}`);
  const ku = uses.filter((u) => u in KEY_USAGE).map((u) => KEY_USAGE[u]!);
  const eku = uses.filter((u) => u in EXT_KEY_USAGE).map((u) => EXT_KEY_USAGE[u]!);
  const lines = [`basicConstraints = critical, CA:${i.isCaCertificate ? "TRUE" : "FALSE"}`];
  if (ku.length > 0) lines.push(`keyUsage = critical, ${ku.join(", ")}`);
  if (eku.length > 0) lines.push(`extendedKeyUsage = ${eku.join(", ")}`);
  if (i.setSubjectKeyId || i.isCaCertificate) lines.push("subjectKeyIdentifier = hash");
  const alt = [...(sans.dnsNames ?? []).map((d) => `DNS:${d}`), ...(sans.ipAddresses ?? []).map((a) => `IP:${a}`)];
  if (alt.length > 0) lines.push(`subjectAltName = ${alt.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`openssl could not run (${r.error.message}); scripts/test.sh installs it`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

export class RealTlsMocks extends PlanMocks {
  /** CSR PEM → the inputs it was requested with (a locally signed certificate copies its SANs). */
  private readonly csrs = new Map<string, CsrInputs>();

  constructor(ctx: MockContext) {
    super(ctx);
  }

  override newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
    const i: State = reveal(args.inputs) as State;
    const id = createHash("sha256").update(`${args.type}::${args.name}`).digest("hex").slice(0, 32);
    switch (args.type) {
      case "tls:index/selfSignedCert:SelfSignedCert":
        return {
          id,
          state: { ...i, ...this.sign(i, undefined, { subject: i.subject, dnsNames: i.dnsNames, ipAddresses: i.ipAddresses }) },
        };
      case "tls:index/certRequest:CertRequest": {
        const dir = mkdtempSync(path.join(tmpdir(), "real-tls-"));
        try {
          writeFileSync(path.join(dir, "key.pem"), i.privateKeyPem);
          openssl(["req", "-new", "-key", "key.pem", "-subj", subjectArg(i.subject), "-out", "req.pem"], dir);
          const pem = readFileSync(path.join(dir, "req.pem"), "utf8");
          this.csrs.set(pem, { subject: i.subject, dnsNames: i.dnsNames, ipAddresses: i.ipAddresses });
          return { id, state: { ...i, certRequestPem: pem } };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      case "tls:index/locallySignedCert:LocallySignedCert": {
        const csr = this.csrs.get(i.certRequestPem);
        if (!csr) throw new Error(`real-tls mocks: ${args.name} signs a CSR these mocks did not create`);
        return { id, state: { ...i, ...this.sign(i, { certPem: i.caCertPem, keyPem: i.caPrivateKeyPem }, csr, i.certRequestPem) } };
      }
      default:
        return super.newResource(args);
    }
  }

  private sign(i: State, ca: { certPem: string; keyPem: string } | undefined, req: CsrInputs, csrPem?: string): State {
    const dir = mkdtempSync(path.join(tmpdir(), "real-tls-"));
    try {
      const hours = Number(i.validityPeriodHours ?? 24);
      const days = String(Math.max(1, Math.ceil(hours / 24)));
      writeFileSync(path.join(dir, "ext.cnf"), extensions(i, req));
      if (ca) {
        writeFileSync(path.join(dir, "req.pem"), csrPem!);
        writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
        writeFileSync(path.join(dir, "ca.key"), ca.keyPem);
        openssl(
          [
            "x509",
            "-req",
            "-in",
            "req.pem",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            `0x${createHash("sha1").update(csrPem!).digest("hex").slice(0, 16)}`,
            "-days",
            days,
            "-sha256",
            "-extfile",
            "ext.cnf",
            "-out",
            "cert.pem",
          ],
          dir,
        );
      } else {
        writeFileSync(path.join(dir, "key.pem"), i.privateKeyPem);
        writeSelfConfig(dir);
        openssl(
          [
            "req",
            "-x509",
            "-new",
            "-key",
            "key.pem",
            "-subj",
            subjectArg(req.subject),
            "-days",
            days,
            "-sha256",
            "-config",
            "self.cnf",
            "-extensions",
            "v3_self",
            "-out",
            "cert.pem",
          ],
          dir,
        );
      }
      const certPem = readFileSync(path.join(dir, "cert.pem"), "utf8");
      const now = new Date();
      return {
        certPem,
        validityStartTime: now.toISOString(),
        validityEndTime: new Date(now.getTime() + hours * 3600_000).toISOString(),
        readyForRenewal: false,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Pulumi's secret signature key: mock inputs carry secret values wrapped in `{ [SIG]: SECRET_SIG, value }`. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

function reveal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reveal);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG_KEY in o) return reveal(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

/** An openssl config whose `v3_self` section is the extension file (self-signed certificates). */
function writeSelfConfig(dir: string): void {
  const ext = readFileSync(path.join(dir, "ext.cnf"), "utf8");
  writeFileSync(path.join(dir, "self.cnf"), `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n[v3_self]\n${ext}`);
}

/** Mocks factory for recordProgram/runPlan. */
export const realTlsMocks = (ctx: MockContext) => new RealTlsMocks(ctx);
