/**
 * Certificates signed by the etcd CA: members' server and peer certificates. Every private key is
 * a Pulumi secret. (The API server's etcd client certificate is minted in one place only:
 * ClusterPki with `externalEtcdClient: true`.)
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** The etcd CA: its certificate and (secret) private key, e.g. from the cluster's PKI component. */
export interface EtcdCertificateAuthority {
  certPem: pulumi.Input<string>;
  privateKeyPem: pulumi.Input<string>;
}

export interface IssuedCert {
  certPem: pulumi.Output<string>;
  /** Secret. */
  privateKeyPem: pulumi.Output<string>;
}

export interface CertRequestSpec {
  commonName: string;
  organization?: string;
  dnsNames?: pulumi.Input<string>[];
  ipAddresses?: pulumi.Input<string>[];
  /** `server_auth`, `client_auth`, ... */
  usages: string[];
}

/** Certificate lifetime: 3 years; Pulumi renews it on the first `up` in its last year. */
export const CERT_VALIDITY_HOURS = 3 * 365 * 24;
export const CERT_EARLY_RENEWAL_HOURS = 365 * 24;

/** SANs of a member's server and peer certificates: its DNS name, short name, IP and loopback. */
export function memberSans(m: { name: string; dnsName: string; ip: string }): { dnsNames: string[]; ipAddresses: string[] } {
  return { dnsNames: [m.dnsName, m.name, "localhost"], ipAddresses: [m.ip, "127.0.0.1"] };
}

/** The same SANs when the member's address is not known yet (an Output of the subnet plan). */
export function memberSanInputs(
  name: string,
  dnsName: string,
  ip: pulumi.Input<string>,
): { dnsNames: string[]; ipAddresses: pulumi.Input<string>[] } {
  const sans = memberSans({ name, dnsName, ip: "" });
  return { dnsNames: sans.dnsNames, ipAddresses: [ip, ...sans.ipAddresses.slice(1)] };
}

/** Key (ECDSA P-256), request and certificate signed by `ca`, as children of `parent`. */
export function issueCert(name: string, ca: EtcdCertificateAuthority, req: CertRequestSpec, parent: pulumi.Resource): IssuedCert {
  const key = new tls.PrivateKey(
    `${name}-key`,
    { algorithm: "ECDSA", ecdsaCurve: "P256" },
    { parent, additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] },
  );
  const csr = new tls.CertRequest(
    `${name}-csr`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: req.commonName, ...(req.organization ? { organization: req.organization } : {}) },
      dnsNames: req.dnsNames ?? [],
      ipAddresses: req.ipAddresses ?? [],
    },
    { parent },
  );
  const cert = new tls.LocallySignedCert(
    `${name}-cert`,
    {
      certRequestPem: csr.certRequestPem,
      caCertPem: ca.certPem,
      caPrivateKeyPem: pulumi.secret(ca.privateKeyPem),
      validityPeriodHours: CERT_VALIDITY_HOURS,
      earlyRenewalHours: CERT_EARLY_RENEWAL_HOURS,
      allowedUses: ["digital_signature", "key_encipherment", ...req.usages],
    },
    { parent },
  );
  return { certPem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
}
