/**
 * ClusterPki: the cluster's trust, owned by Pulumi (docs/design.md, "Pulumi owns the cluster's trust").
 * Cluster CA, front-proxy CA, etcd CA, the service-account key pair, the join token, the Secrets
 * encryption key, the discovery hash, and an admin kubeconfig minted here (no node hands anything
 * back). Every private key, the token and the kubeconfig are Pulumi secrets.
 */
import { apiHostPort } from "../core/ports";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { typeToken } from "../core/tokens";
import { discoveryHash } from "./hash";
import { renderKubeconfig } from "./kubeconfig";

/**
 * The admin kubeconfig's group. `kubeadm:cluster-admins` is bound to `cluster-admin` by a
 * ClusterRoleBinding kubeadm creates (1.29+), so the credential can be revoked by deleting that
 * binding; `system:masters` would bypass RBAC and could never be revoked short of a new CA.
 */
export const ADMIN_GROUP = "kubeadm:cluster-admins";
export const ADMIN_USER = "kubeadm-aws-admin";

const CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"];

export interface ClusterPkiArgs {
  /** Cluster name (CA subjects, kubeconfig names). Required. */
  clusterName: string;
  /** The stable API name; the kubeconfig's server is `https://<apiName>:6443`. Required. */
  apiName: pulumi.Input<string>;
  /** CA validity, hours. @default 87600 (10 years) */
  caValidityHours?: number;
  /** Admin client certificate validity, hours. @default 8760 (1 year) */
  adminCertValidityHours?: number;
  /** Renew the admin certificate on the first `pulumi up` this many hours before it expires. @default 720 */
  adminCertEarlyRenewalHours?: number;
  /** Any new value regenerates the join token (see `rotationWindow`). @default "initial" */
  tokenRotation?: pulumi.Input<string>;
  /** Also mint the API server's client certificate for external (dedicated) etcd. @default false */
  externalEtcdClient?: boolean;
  /** Protect the CA keys from deletion (a new CA means a new cluster). @default false */
  protect?: boolean;
}

interface Ca {
  key: tls.PrivateKey;
  cert: tls.SelfSignedCert;
}

export class ClusterPki extends pulumi.ComponentResource {
  readonly clusterCa: Ca;
  readonly frontProxyCa: Ca;
  readonly etcdCa: Ca;
  readonly serviceAccountKey: tls.PrivateKey;
  readonly caCertPem: pulumi.Output<string>;
  readonly caKeyPem: pulumi.Output<string>;
  readonly frontProxyCaCertPem: pulumi.Output<string>;
  readonly frontProxyCaKeyPem: pulumi.Output<string>;
  readonly etcdCaCertPem: pulumi.Output<string>;
  readonly etcdCaKeyPem: pulumi.Output<string>;
  readonly serviceAccountKeyPem: pulumi.Output<string>;
  readonly serviceAccountPublicKeyPem: pulumi.Output<string>;
  /** `sha256:<hex>` of the cluster CA's SubjectPublicKeyInfo. */
  readonly discoveryHash: pulumi.Output<string>;
  /** `[a-z0-9]{6}.[a-z0-9]{16}`, secret. */
  readonly bootstrapToken: pulumi.Output<string>;
  /** The token's public id (the part before the dot). */
  readonly bootstrapTokenId: pulumi.Output<string>;
  /** Base64 of 32 random bytes: the Secrets encryption-at-rest key, secret. */
  readonly encryptionKey: pulumi.Output<string>;
  /** Admin kubeconfig (group `kubeadm:cluster-admins`), secret. */
  readonly adminKubeconfig: pulumi.Output<string>;
  /** External etcd only: the API server's etcd client certificate and key (secret). */
  readonly etcdClientCertPem?: pulumi.Output<string>;
  readonly etcdClientKeyPem?: pulumi.Output<string>;

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("pki", "ClusterPki"), name, {}, opts);
    const caHours = args.caValidityHours ?? 87600;
    const keyOpts = { parent: this, protect: args.protect ?? false };

    const ca = (suffix: string, commonName: string): Ca => {
      const key = new tls.PrivateKey(`${name}-${suffix}-key`, { algorithm: "RSA", rsaBits: 2048 }, keyOpts);
      const cert = new tls.SelfSignedCert(
        `${name}-${suffix}-cert`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName, organization: args.clusterName },
          isCaCertificate: true,
          validityPeriodHours: caHours,
          allowedUses: CA_USES,
          setSubjectKeyId: true,
        },
        { parent: this, protect: args.protect ?? false },
      );
      return { key, cert };
    };
    // kubeadm's conventional CA names.
    this.clusterCa = ca("ca", "kubernetes");
    this.frontProxyCa = ca("front-proxy-ca", "front-proxy-ca");
    this.etcdCa = ca("etcd-ca", "etcd-ca");
    this.serviceAccountKey = new tls.PrivateKey(`${name}-sa-key`, { algorithm: "RSA", rsaBits: 2048 }, keyOpts);

    this.caCertPem = this.clusterCa.cert.certPem;
    this.caKeyPem = pulumi.secret(this.clusterCa.key.privateKeyPem);
    this.frontProxyCaCertPem = this.frontProxyCa.cert.certPem;
    this.frontProxyCaKeyPem = pulumi.secret(this.frontProxyCa.key.privateKeyPem);
    this.etcdCaCertPem = this.etcdCa.cert.certPem;
    this.etcdCaKeyPem = pulumi.secret(this.etcdCa.key.privateKeyPem);
    this.serviceAccountKeyPem = pulumi.secret(this.serviceAccountKey.privateKeyPem);
    this.serviceAccountPublicKeyPem = this.serviceAccountKey.publicKeyPem;
    this.discoveryHash = this.clusterCa.key.publicKeyPem.apply(discoveryHash);

    // Join token: id and secret regenerate together whenever `tokenRotation` changes.
    const keepers = { rotation: args.tokenRotation ?? "initial" };
    const tokenPart = (suffix: string, length: number) =>
      new random.RandomString(
        `${name}-token-${suffix}`,
        { length, lower: true, upper: false, numeric: true, special: false, keepers },
        { parent: this, additionalSecretOutputs: ["result"] },
      );
    const tokenId = tokenPart("id", 6);
    const tokenSecret = tokenPart("secret", 16);
    this.bootstrapTokenId = pulumi.unsecret(tokenId.result); // the id is public (it names the token Secret in kube-system)
    this.bootstrapToken = pulumi.secret(pulumi.interpolate`${tokenId.result}.${tokenSecret.result}`);

    const encryption = new random.RandomBytes(`${name}-encryption-key`, { length: 32 }, { parent: this });
    this.encryptionKey = pulumi.secret(encryption.base64);

    // Admin kubeconfig, minted by Pulumi.
    const adminKey = new tls.PrivateKey(`${name}-admin-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
    const adminCsr = new tls.CertRequest(
      `${name}-admin-csr`,
      {
        privateKeyPem: adminKey.privateKeyPem,
        subject: { commonName: ADMIN_USER, organization: ADMIN_GROUP },
      },
      { parent: this },
    );
    const adminCert = new tls.LocallySignedCert(
      `${name}-admin-cert`,
      {
        certRequestPem: adminCsr.certRequestPem,
        caPrivateKeyPem: this.clusterCa.key.privateKeyPem,
        caCertPem: this.clusterCa.cert.certPem,
        validityPeriodHours: args.adminCertValidityHours ?? 8760,
        earlyRenewalHours: args.adminCertEarlyRenewalHours ?? 720,
        allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
      },
      { parent: this },
    );
    this.adminKubeconfig = pulumi.secret(
      pulumi.all([args.apiName, this.clusterCa.cert.certPem, adminCert.certPem, adminKey.privateKeyPem]).apply(([api, caCert, cert, key]) =>
        renderKubeconfig({
          clusterName: args.clusterName,
          server: `https://${apiHostPort(api)}`,
          caCertPem: caCert,
          clientCertPem: cert,
          clientKeyPem: key,
        }),
      ),
    );

    if (args.externalEtcdClient) {
      const key = new tls.PrivateKey(`${name}-apiserver-etcd-client-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
      const csr = new tls.CertRequest(
        `${name}-apiserver-etcd-client-csr`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: "kube-apiserver-etcd-client" },
        },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${name}-apiserver-etcd-client-cert`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: this.etcdCa.key.privateKeyPem,
          caCertPem: this.etcdCa.cert.certPem,
          validityPeriodHours: 8760,
          earlyRenewalHours: 720,
          allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
        },
        { parent: this },
      );
      this.etcdClientCertPem = cert.certPem;
      this.etcdClientKeyPem = pulumi.secret(key.privateKeyPem);
    }

    this.registerOutputs({
      caCertPem: this.caCertPem,
      frontProxyCaCertPem: this.frontProxyCaCertPem,
      etcdCaCertPem: this.etcdCaCertPem,
      serviceAccountPublicKeyPem: this.serviceAccountPublicKeyPem,
      discoveryHash: this.discoveryHash,
      bootstrapTokenId: this.bootstrapTokenId,
      bootstrapToken: this.bootstrapToken,
      adminKubeconfig: this.adminKubeconfig,
    });
  }
}
