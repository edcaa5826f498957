/** Specs and a recorder for the etcd tests. */
import { resolveClusterSpec } from "../../components/config";
import { type ClusterSpec, type EtcdRuntime, type EtcdSpec } from "../../components/spec";
import {
  EtcdCluster,
  planMembers,
  renderMemberFiles,
  type DedicatedMemberInput,
  type EtcdClusterArgs,
  type MemberPki,
} from "../../components/etcd";
import { DEFAULT_VERSIONS } from "../../components/versions";
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

/** The members of `prod` in the subnets above (`k8s.example.internal`). */
export const memberPlan = (members = 3, subnetCidrs = SUBNETS.map((s) => s.cidrBlock)) =>
  planMembers({ cluster: "prod", domain: "k8s.example.internal", members, subnetCidrs });

/** Stand-in TLS material of a member: recognisable, and key-shaped where the secret scanner looks for keys. */
export const MEMBER_PKI: MemberPki = {
  caCertPem: "CA\n",
  serverCertPem: "SC\n",
  serverKeyPem: "-----BEGIN PRIVATE KEY-----\nSK\n",
  peerCertPem: "PC\n",
  peerKeyPem: "-----BEGIN PRIVATE KEY-----\nPK\n",
};

/** What dedicated member `n` of `members` boots with. */
export function dedicatedMemberInput(runtime: EtcdRuntime = "on-host", members = 3, n = 0): DedicatedMemberInput {
  const all = memberPlan(members);
  return {
    cluster: "prod",
    region: "eu-west-1",
    runtime,
    etcdVersion: DEFAULT_VERSIONS.etcd,
    config: { member: all[n]!, members: all, clusterToken: "prod-etcd" },
    volumeId: "vol-0123456789abcdef0",
    backup: { bucket: BUCKET.bucketName, intervalMinutes: 15 },
  };
}

/** Every boot file of dedicated member `n` (`renderMemberFiles` with MEMBER_PKI). */
export const dedicatedMemberFiles = (runtime: EtcdRuntime = "on-host", members = 3, n = 0) =>
  renderMemberFiles(dedicatedMemberInput(runtime, members, n), MEMBER_PKI);
