/** ClusterPki under the recording mocks: exact inputs, secrecy, discovery hash, admin kubeconfig, token rotation. */
import * as pulumi from "@pulumi/pulumi";
import { createPrivateKey } from "crypto";
import { parse } from "yaml";
import { ADMIN_GROUP, BOOTSTRAP_TOKEN_RE, ClusterPki, discoveryHash, type ClusterPkiArgs } from "../../components/pki";
import { inputs, named, ofType, recordProgram } from "../helpers/record";

interface Seen {
  token?: string;
  hash?: string;
  caPublicKey?: string;
  kubeconfig?: string;
  caCert?: string;
  secret: Record<string, boolean>;
}

async function record(args: Partial<ClusterPkiArgs> = {}) {
  const seen: Seen = { secret: {} };
  const rec = await recordProgram(() => {
    const pki = new ClusterPki("c1-pki", { clusterName: "c1", apiName: "api.c1.example.internal", ...args });
    pki.bootstrapToken.apply((t) => (seen.token = t));
    pki.discoveryHash.apply((h) => (seen.hash = h));
    pki.clusterCa.key.publicKeyPem.apply((p) => (seen.caPublicKey = p));
    pki.adminKubeconfig.apply((k) => (seen.kubeconfig = k));
    pki.caCertPem.apply((c) => (seen.caCert = c));
    const outs: Record<string, pulumi.Output<string>> = {
      bootstrapToken: pki.bootstrapToken,
      caKeyPem: pki.caKeyPem,
      frontProxyCaKeyPem: pki.frontProxyCaKeyPem,
      etcdCaKeyPem: pki.etcdCaKeyPem,
      serviceAccountKeyPem: pki.serviceAccountKeyPem,
      encryptionKey: pki.encryptionKey,
      adminKubeconfig: pki.adminKubeconfig,
      caCertPem: pki.caCertPem,
      discoveryHash: pki.discoveryHash,
      bootstrapTokenId: pki.bootstrapTokenId,
    };
    for (const [k, o] of Object.entries(outs)) void pulumi.isSecret(o).then((s) => (seen.secret[k] = s));
  });
  return { rec, seen };
}

describe("ClusterPki", () => {
  test("three CAs and a service-account key, with kubeadm's names, as exact inputs", async () => {
    const { rec } = await record();
    expect(rec.errors).toEqual([]);
    expect(
      ofType(rec, "tls:index/selfSignedCert:SelfSignedCert")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["c1-pki-ca-cert", "c1-pki-etcd-ca-cert", "c1-pki-front-proxy-ca-cert"]);
    expect(inputs(named(rec, "tls:index/selfSignedCert:SelfSignedCert", "c1-pki-ca-cert"))).toMatchObject({
      isCaCertificate: true,
      validityPeriodHours: 87600,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
      subject: { commonName: "kubernetes", organization: "c1" },
      privateKeyPem: "[secret]",
    });
    expect(inputs(named(rec, "tls:index/selfSignedCert:SelfSignedCert", "c1-pki-front-proxy-ca-cert")).subject.commonName).toBe(
      "front-proxy-ca",
    );
    expect(inputs(named(rec, "tls:index/selfSignedCert:SelfSignedCert", "c1-pki-etcd-ca-cert")).subject.commonName).toBe("etcd-ca");
    expect(inputs(named(rec, "tls:index/privateKey:PrivateKey", "c1-pki-sa-key"))).toEqual({ algorithm: "RSA", rsaBits: 2048 });
    expect(ofType(rec, "tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name)).toEqual(["c1-pki-admin-cert"]);
  });

  test("every key, the token, the encryption key and the kubeconfig are secrets; certificates and the hash are not", async () => {
    const { seen } = await record();
    for (const k of [
      "bootstrapToken",
      "caKeyPem",
      "frontProxyCaKeyPem",
      "etcdCaKeyPem",
      "serviceAccountKeyPem",
      "encryptionKey",
      "adminKubeconfig",
    ])
      expect([k, seen.secret[k]]).toEqual([k, true]);
    for (const k of ["caCertPem", "discoveryHash", "bootstrapTokenId"]) expect([k, seen.secret[k]]).toEqual([k, false]);
  });

  test("the token has kubeadm's format and is generated from lowercase letters and digits only", async () => {
    const { rec, seen } = await record();
    expect(seen.token).toMatch(BOOTSTRAP_TOKEN_RE);
    expect(inputs(named(rec, "random:index/randomString:RandomString", "c1-pki-token-id"))).toEqual({
      length: 6,
      lower: true,
      upper: false,
      numeric: true,
      special: false,
      keepers: { rotation: "initial" },
    });
    expect(inputs(named(rec, "random:index/randomString:RandomString", "c1-pki-token-secret"))).toMatchObject({
      length: 16,
      upper: false,
      special: false,
    });
  });

  test("the discovery hash is the CA public key's SPKI hash", async () => {
    const { seen } = await record();
    expect(seen.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(seen.hash).toBe(discoveryHash(seen.caPublicKey!));
  });

  test("rotation: a new tokenRotation value changes both parts' keepers (random regenerates them)", async () => {
    const a = await record({ tokenRotation: "2026-01-01" });
    const b = await record({ tokenRotation: "2026-01-31" });
    for (const part of ["c1-pki-token-id", "c1-pki-token-secret"]) {
      expect(inputs(named(a.rec, "random:index/randomString:RandomString", part)).keepers).toEqual({ rotation: "2026-01-01" });
      expect(inputs(named(b.rec, "random:index/randomString:RandomString", part)).keepers).toEqual({ rotation: "2026-01-31" });
    }
    // The CAs do not depend on the rotation.
    expect(inputs(named(a.rec, "tls:index/selfSignedCert:SelfSignedCert", "c1-pki-ca-cert"))).toEqual(
      inputs(named(b.rec, "tls:index/selfSignedCert:SelfSignedCert", "c1-pki-ca-cert")),
    );
  });

  test("the admin kubeconfig: cluster CA signed client of the admin group, stable API name as server", async () => {
    const { rec, seen } = await record();
    expect(inputs(named(rec, "tls:index/certRequest:CertRequest", "c1-pki-admin-csr")).subject).toEqual({
      commonName: "kubeadm-aws-admin",
      organization: ADMIN_GROUP,
    });
    expect(ADMIN_GROUP).toBe("kubeadm:cluster-admins");
    expect(inputs(named(rec, "tls:index/locallySignedCert:LocallySignedCert", "c1-pki-admin-cert"))).toMatchObject({
      allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
      validityPeriodHours: 8760,
      earlyRenewalHours: 720,
      caPrivateKeyPem: "[secret]",
    });
    const kc = parse(seen.kubeconfig!) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(kc.clusters[0].cluster.server).toBe("https://api.c1.example.internal:6443");
    expect(kc["current-context"]).toBe("admin@c1");
    const key = Buffer.from(kc.users[0].user["client-key-data"], "base64").toString();
    expect(createPrivateKey(key).asymmetricKeyType).toBe("rsa");
    expect(Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toBe(seen.caCert);
  });

  test("external etcd: an API server client certificate signed by the etcd CA", async () => {
    const { rec } = await record({ externalEtcdClient: true });
    expect(rec.errors).toEqual([]);
    expect(inputs(named(rec, "tls:index/certRequest:CertRequest", "c1-pki-apiserver-etcd-client-csr")).subject).toEqual({
      commonName: "kube-apiserver-etcd-client",
    });
    const cert = named(rec, "tls:index/locallySignedCert:LocallySignedCert", "c1-pki-apiserver-etcd-client-cert");
    const etcdCa = named(rec, "tls:index/selfSignedCert:SelfSignedCert", "c1-pki-etcd-ca-cert");
    expect(cert.dependencies).toContain(etcdCa.urn);
  });

  test("protect: the CA keys and certificates are protected", async () => {
    const { rec } = await record({ protect: true });
    for (const n of ["c1-pki-ca-key", "c1-pki-etcd-ca-key", "c1-pki-front-proxy-ca-key", "c1-pki-sa-key"])
      expect(named(rec, "tls:index/privateKey:PrivateKey", n).protect).toBe(true);
    expect(named(rec, "tls:index/privateKey:PrivateKey", "c1-pki-admin-key").protect).toBe(false);
  });
});
