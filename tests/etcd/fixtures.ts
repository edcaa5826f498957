/** Specs and a recorder for the etcd tests. */
import { resolveClusterSpec } from "../../components/config";
import { type ClusterSpec, type EtcdSpec } from "../../components/spec";
import { EtcdCluster, type EtcdClusterArgs } from "../../components/etcd";
import { recordProgram } from "../helpers/record";

export const AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
/** Private subnets as the network's CIDR plan would give them (/20 per AZ). */
export const SUBNETS = [
  { id: "subnet-0aaa", cidrBlock: "10.30.64.0/20", availabilityZone: "eu-west-1a" },
  { id: "subnet-0bbb", cidrBlock: "10.30.80.0/20", availabilityZone: "eu-west-1b" },
  { id: "subnet-0ccc", cidrBlock: "10.30.96.0/20", availabilityZone: "eu-west-1c" },
];
export const CA = {
  certPem: "-----BEGIN CERTIFICATE-----\nZXRjZC1jYQ==\n-----END CERTIFICATE-----\n",
  privateKeyPem: "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0\n-----END EC PRIVATE KEY-----\n",
};
export const BUCKET = { bucketName: "prod-etcd-backups-abc", bucketArn: "arn:aws:s3:::prod-etcd-backups-abc" };
/** The cluster's bootstrap key (BootstrapKey.keyArn): it encrypts the members' bundles. */
export const BOOTSTRAP_KEY = "arn:aws:kms:eu-west-1:123456789012:key/bootstrap";

/** A critical-tier spec with etcd overrides; a single member (no HA promise) takes the dev tier (2 AZs). */
export function etcdSpec(etcd: Partial<EtcdSpec>, extra: Record<string, unknown> = {}): ClusterSpec {
  const single = etcd.members === 1;
  return resolveClusterSpec({
    name: "prod",
    tier: single ? "dev" : "critical",
    region: "eu-west-1",
    availabilityZones: single ? AZS.slice(0, 2) : AZS,
    api: single ? { domain: "k8s.example.internal", allowedCidrs: ["203.0.113.0/24"] } : { domain: "k8s.example.internal" },
    ...(single ? { controlPlane: { count: 1 } } : {}),
    etcd,
    ...extra,
  });
}

export async function recordEtcd(spec: ClusterSpec, extra: Partial<EtcdClusterArgs> = {}) {
  return recordProgram(() => {
    new EtcdCluster("etcd", {
      spec,
      privateSubnets: SUBNETS.slice(0, spec.availabilityZones.length),
      securityGroupIds: ["sg-0etcd"],
      ca: CA,
      backup: BUCKET,
      bootstrapKmsKeyArn: BOOTSTRAP_KEY,
      privateZoneId: "Z0PRIVATEZONE",
      imageId: "ami-0123456789abcdef0",
      ...extra,
    });
  });
}
