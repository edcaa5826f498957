/**
 * ClusterSpec: the fully resolved, plain-data description of one cluster (tier preset + stack
 * overrides, validated). The stack program builds it from config; programs that import the
 * components may build it by hand (see `resolveClusterSpec` for the usual way).
 */
import type { PlatformVersions } from "../versions/manifest";

export type TierName = "dev" | "standard" | "critical";
export type NatStrategy = "per-az" | "single";
export type EtcdTopology = "colocated" | "dedicated";
export type EtcdRuntime = "containerized" | "on-host";
export type UpgradeStrategy = "in-place" | "node-replacement" | "blue-green";
export type ApiExposure = "public" | "private";
export type NodePoolPreset = "general" | "memory" | "compute" | "gpu" | "ingress";
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

/** AWS VPC interface endpoints a private node may use instead of the internet. */
export const INTERFACE_ENDPOINT_SERVICES = [
  "secretsmanager",
  "ssm",
  "ssmmessages",
  "ec2messages",
  "ec2",
  "ecr.api",
  "ecr.dkr",
  "sts",
  "elasticloadbalancing",
  "autoscaling",
  "kms",
  "logs",
] as const;
export type InterfaceEndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

export interface ExistingVpcSpec {
  /** An existing VPC's id (`vpc-...`). */
  vpcId: string;
  /** Its public subnets, one per AZ in `availabilityZones` order. */
  publicSubnetIds: string[];
  /** Its private subnets, one per AZ in `availabilityZones` order. */
  privateSubnetIds: string[];
}

export interface NetworkSpec {
  /** The VPC range. */
  vpcCidr: string;
  /** The pod range (the CNI's); must not overlap the VPC or service range. */
  podCidr: string;
  /** The service (ClusterIP) range; must not overlap the VPC or pod range. */
  serviceCidr: string;
  /** One NAT gateway per AZ, or a single one shared by all AZs. */
  natStrategy: NatStrategy;
  /** Create isolated subnets (no route to the internet) too. */
  isolatedSubnets: boolean;
  /** Interface endpoints to create; the S3 gateway endpoint is always created. */
  interfaceEndpoints: InterfaceEndpointService[];
  /** VPC flow logs to CloudWatch Logs. */
  flowLogs: boolean;
  /** Use this VPC instead of creating one. */
  existing?: ExistingVpcSpec;
}

export interface BastionSpec {
  /** Whether to create the bastion. */
  enabled: boolean;
  /** EC2 instance type. */
  instanceType: string;
  /** CIDRs allowed to SSH to the bastion; empty means no SSH ingress (SSM Session Manager only). */
  sshAllowlist: string[];
}

export interface ApiSpec {
  /** `public`: internet-facing load balancer (client allowlist required); `private`: internal. */
  exposure: ApiExposure;
  /** Client CIDRs allowed to reach the API load balancer on 6443. */
  allowedCidrs: string[];
  /** Private hosted zone domain; the API name is `api.<cluster>.<domain>`. */
  domain: string;
  /** A public Route53 zone id to publish the same name in (only with `public` exposure). */
  publicZoneId?: string;
}

export interface ControlPlaneSpec {
  /** Control-plane node count (1 only without an HA promise). */
  count: 1 | 3 | 5;
  /** EC2 instance type. */
  instanceType: string;
  /** Root volume size, GiB. */
  rootVolumeGiB: number;
}

export interface EtcdVolumeSpec {
  /** EBS volume type for a dedicated member's data volume. */
  type: "gp3" | "io2";
  /** Size, GiB. */
  sizeGiB: number;
  /** Provisioned IOPS. */
  iops: number;
  /** gp3 throughput, MiB/s (ignored for io2). */
  throughputMiBps: number;
}

export interface EtcdSpec {
  /** `colocated` on the control-plane nodes, or `dedicated` machines. */
  topology: EtcdTopology;
  /** `containerized` (static pod) or `on-host` (systemd service). */
  runtime: EtcdRuntime;
  /** Member count; colocated etcd has one member per control-plane node. */
  members: 1 | 3 | 5 | 7;
  /** Instance type of dedicated members. */
  instanceType: string;
  /** Data volume of dedicated members. */
  volume: EtcdVolumeSpec;
}

export interface BackupSpec {
  /** Minutes between etcd snapshots. */
  intervalMinutes: number;
  /** Days the frequent snapshots are kept. */
  frequentRetentionDays: number;
  /** Days the daily snapshots are kept. */
  dailyRetentionDays: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface SpotSpec {
  /** On-demand instances always kept before spot is used. */
  onDemandBaseCapacity: number;
  /** Percentage of on-demand above the base (0 = all spot). */
  onDemandPercentageAboveBaseCapacity: number;
}

export interface NodePoolSpec {
  /** DNS-safe, unique within the cluster. */
  name: string;
  /** Characteristic or role preset. */
  preset: NodePoolPreset;
  /** Instance types, first preferred. */
  instanceTypes: string[];
  minSize: number;
  maxSize: number;
  /** Initial size; left to the cluster autoscaler afterwards. */
  desiredSize: number;
  /** Node labels applied at join. */
  labels: Record<string, string>;
  /** Node taints applied at join. */
  taints: Taint[];
  /** Spot/mixed instances; absent means on-demand only. */
  spot?: SpotSpec;
  /** Root volume size, GiB. */
  rootVolumeGiB: number;
  /** Instance refresh: minimum healthy percentage while rolling. */
  minHealthyPercentage: number;
}

export interface ImagesSpec {
  /** A pinned AMI id for the node image; otherwise looked up by the manifest's exact tags. */
  nodeAmi?: string;
  /** A pinned AMI id for the GPU image; otherwise looked up by the manifest's exact tags. */
  gpuAmi?: string;
}

export interface ClusterSpec {
  /** Cluster name: DNS-safe, at most 20 characters (AWS name limits). */
  name: string;
  /** The tier this spec was resolved from. */
  tier: TierName;
  /** The availability target the tier promises, e.g. `99.95%`. */
  availabilityTarget: string;
  /** Whether the tier promises high availability (enforces >= 2 AZs, >= 3 control-plane nodes). */
  highAvailability: boolean;
  /** AWS region, e.g. `eu-west-1`. */
  region: string;
  /** Pinned AZ names, in order; the CIDR plan is indexed by this order. */
  availabilityZones: string[];
  versions: PlatformVersions;
  network: NetworkSpec;
  bastion: BastionSpec;
  api: ApiSpec;
  controlPlane: ControlPlaneSpec;
  etcd: EtcdSpec;
  backup: BackupSpec;
  /** Protect stateful and front-door resources from deletion (NLB, etcd volumes, buckets). */
  deletionProtection: boolean;
  upgradeStrategy: UpgradeStrategy;
  nodePools: NodePoolSpec[];
  images: ImagesSpec;
  /** Tags on every taggable resource. */
  tags: Record<string, string>;
  /** Any new value regenerates the bootstrap (join) token; nodes do not roll (see README, "Join credentials"). @default "initial" */
  tokenRotation?: string;
  /**
   * `self-signed` (kubeadm's default) or `cluster-ca` (kubelet serving certificates from the cluster CA, verified by
   * the API server; needs a kubelet-serving CSR approver in the cluster). @default "self-signed"
   */
  kubeletServingCertificates?: "self-signed" | "cluster-ca";
}
