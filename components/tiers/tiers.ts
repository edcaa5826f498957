/**
 * Cluster tiers by SLO, as data. A tier maps an availability target to the choices that buy it;
 * stack config may override any field (components/config/resolve.ts). The README's tier table is
 * written from these values, and tests/config/tiers.test.ts checks that the two agree.
 */
import type {
  ApiExposure,
  BackupSpec,
  ControlPlaneSpec,
  EtcdSpec,
  InterfaceEndpointService,
  NatStrategy,
  NodePoolSpec,
  Taint,
  TierName,
  UpgradeStrategy,
} from "../spec/spec";

export interface TierPreset {
  /** One line on who the tier is for. */
  description: string;
  /** The availability target the tier is designed for. */
  availabilityTarget: string;
  /** Whether the tier promises HA: then >= 2 AZs and >= 3 control-plane nodes and etcd members are enforced. */
  highAvailability: boolean;
  /** How many of the stack's pinned AZs the cluster spans. */
  azCount: 2 | 3;
  network: { natStrategy: NatStrategy; interfaceEndpoints: InterfaceEndpointService[]; flowLogs: boolean };
  controlPlane: ControlPlaneSpec;
  etcd: EtcdSpec;
  backup: BackupSpec;
  deletionProtection: boolean;
  api: { exposure: ApiExposure };
  upgradeStrategy: UpgradeStrategy;
  /** The pools a cluster gets when its config lists none. */
  defaultNodePools: NodePoolSpec[];
}

/** Endpoints a private node needs to bootstrap and run with no route to the internet. */
const BOOTSTRAP_ENDPOINTS: InterfaceEndpointService[] = [
  "secretsmanager",
  "kms",
  "sts",
  "ec2",
  "ecr.api",
  "ecr.dkr",
  "elasticloadbalancing",
  "autoscaling",
  "ssm",
  "ssmmessages",
  "ec2messages",
  "logs",
];

/** A pool's root volume unless it says otherwise, GiB: GPU images carry the driver and CUDA containers are large. */
export const DEFAULT_POOL_ROOT_GIB = { general: 50, gpu: 100 } as const;

function generalPool(instanceType: string, min: number, max: number, desired: number): NodePoolSpec {
  return {
    name: "general",
    preset: "general",
    instanceTypes: [instanceType],
    minSize: min,
    maxSize: max,
    desiredSize: desired,
    labels: {},
    taints: [],
    rootVolumeGiB: DEFAULT_POOL_ROOT_GIB.general,
    minHealthyPercentage: 90,
  };
}

export const TIERS: Readonly<Record<TierName, TierPreset>> = {
  dev: {
    description: "Development and previews: cheapest that still looks like production; a lost AZ or node means downtime.",
    availabilityTarget: "99.0%",
    highAvailability: false,
    azCount: 2,
    network: { natStrategy: "single", interfaceEndpoints: [], flowLogs: false },
    controlPlane: { count: 1, instanceType: "m5.large", rootVolumeGiB: 50 },
    etcd: {
      topology: "colocated",
      runtime: "containerized",
      members: 1,
      instanceType: "m5.large",
      volume: { type: "gp3", sizeGiB: 20, iops: 3000, throughputMiBps: 125 },
    },
    backup: { intervalMinutes: 360, frequentRetentionDays: 2, dailyRetentionDays: 7 },
    deletionProtection: false,
    api: { exposure: "public" },
    upgradeStrategy: "in-place",
    defaultNodePools: [generalPool("m5.large", 1, 3, 2)],
  },
  standard: {
    description: "Production services that tolerate minutes of control-plane disruption: HA across 3 AZs, stacked etcd.",
    availabilityTarget: "99.9%",
    highAvailability: true,
    azCount: 3,
    network: { natStrategy: "per-az", interfaceEndpoints: BOOTSTRAP_ENDPOINTS, flowLogs: true },
    controlPlane: { count: 3, instanceType: "m5.xlarge", rootVolumeGiB: 100 },
    etcd: {
      topology: "colocated",
      runtime: "containerized",
      members: 3,
      instanceType: "m5.large",
      volume: { type: "gp3", sizeGiB: 50, iops: 6000, throughputMiBps: 250 },
    },
    backup: { intervalMinutes: 60, frequentRetentionDays: 2, dailyRetentionDays: 30 },
    deletionProtection: true,
    api: { exposure: "public" },
    upgradeStrategy: "node-replacement",
    defaultNodePools: [generalPool("m5.xlarge", 3, 12, 3)],
  },
  critical: {
    description: "Revenue-critical platforms: dedicated 5-member etcd on io2, private API, blue/green upgrades.",
    availabilityTarget: "99.95%",
    highAvailability: true,
    azCount: 3,
    network: { natStrategy: "per-az", interfaceEndpoints: BOOTSTRAP_ENDPOINTS, flowLogs: true },
    controlPlane: { count: 3, instanceType: "m5.2xlarge", rootVolumeGiB: 100 },
    etcd: {
      topology: "dedicated",
      runtime: "on-host",
      members: 5,
      instanceType: "m5.xlarge",
      volume: { type: "io2", sizeGiB: 100, iops: 10000, throughputMiBps: 0 },
    },
    backup: { intervalMinutes: 15, frequentRetentionDays: 7, dailyRetentionDays: 90 },
    deletionProtection: true,
    api: { exposure: "private" },
    upgradeStrategy: "blue-green",
    defaultNodePools: [generalPool("m5.2xlarge", 3, 30, 6)],
  },
};

export const TIER_NAMES = Object.keys(TIERS) as TierName[];

/** The taint every GPU pool carries, so only pods that tolerate it (the device plugin, CUDA jobs) land there. */
export const GPU_TAINT: Taint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };

/** The label (and, as a NoSchedule taint, the taint) that reserve an ingress pool for the ingress controller. */
export const INGRESS_LABEL = { key: "node.kubeadm-aws.io/role", value: "ingress" } as const;

/** Default instance types per node-pool preset (the ratio is vCPU : GiB of memory). */
export const POOL_PRESETS: Readonly<
  Record<string, { instanceTypes: string[]; ratio: string; gpu: boolean; labels: Record<string, string>; taints: NodePoolSpec["taints"] }>
> = {
  general: { instanceTypes: ["m5.xlarge"], ratio: "1:4", gpu: false, labels: { "node.kubeadm-aws.io/class": "general" }, taints: [] },
  memory: { instanceTypes: ["r5.xlarge"], ratio: "1:8", gpu: false, labels: { "node.kubeadm-aws.io/class": "memory" }, taints: [] },
  compute: { instanceTypes: ["c5.2xlarge"], ratio: "1:2", gpu: false, labels: { "node.kubeadm-aws.io/class": "compute" }, taints: [] },
  gpu: {
    instanceTypes: ["g4dn.xlarge"],
    ratio: "GPU",
    gpu: true,
    labels: { "node.kubeadm-aws.io/class": "gpu", "nvidia.com/gpu.present": "true" },
    taints: [GPU_TAINT],
  },
  ingress: {
    instanceTypes: ["c5.large"],
    ratio: "1:2",
    gpu: false,
    labels: { [INGRESS_LABEL.key]: INGRESS_LABEL.value },
    taints: [{ ...INGRESS_LABEL, effect: "NoSchedule" }],
  },
};

/** Instance families that carry an NVIDIA GPU (what a `gpu` pool may use). */
export const GPU_FAMILIES = ["g4dn", "g5", "g6", "g6e", "p3", "p3dn", "p4d", "p5"];

export function isGpuInstanceType(t: string): boolean {
  return GPU_FAMILIES.includes(t.split(".")[0] ?? "");
}
