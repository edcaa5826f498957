/**
 * The stack config schema: `pulumi-kubeadm-aws:cluster`, as written in stacks/Pulumi.<stack>.yaml.
 * Every section is optional except the cluster's identity; what is omitted comes from the tier.
 * Objects are strict: an unknown key (a typo) is an error, never a silent default.
 */
import { z } from "zod";
import { INTERFACE_ENDPOINT_SERVICES } from "../spec/spec";

const int = (min: number, max?: number) => (max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max));
const str = () => z.string().min(1);

export const taintSchema = z.strictObject({
  key: str(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

export const nodePoolSchema = z.strictObject({
  name: str(),
  preset: z.enum(["general", "memory", "compute", "gpu", "ingress"]),
  instanceTypes: z.array(str()).min(1).optional(),
  minSize: int(0),
  maxSize: int(1, 1000),
  desiredSize: int(0).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  taints: z.array(taintSchema).optional(),
  spot: z
    .strictObject({
      onDemandBaseCapacity: int(0).optional(),
      onDemandPercentageAboveBaseCapacity: int(0, 100).optional(),
    })
    .optional(),
  rootVolumeGiB: int(20, 16384).optional(),
  minHealthyPercentage: int(0, 100).optional(),
});

export const versionsSchema = z.strictObject({
  kubernetes: str().optional(),
  kubelet: str().optional(),
  etcd: str().optional(),
  containerd: str().optional(),
  runc: str().optional(),
  cniPlugins: str().optional(),
  crictl: str().optional(),
  coredns: str().optional(),
  pause: str().optional(),
  os: z.strictObject({ family: z.literal("ubuntu"), release: z.enum(["24.04", "22.04"]) }).optional(),
  nvidiaDriver: str().optional(),
  nvidiaContainerToolkit: str().optional(),
});

export const clusterConfigSchema = z.strictObject({
  name: str(),
  tier: z.enum(["dev", "standard", "critical"]),
  region: str(),
  availabilityZones: z.array(str()).min(1).max(6),
  azCount: z.union([z.literal(2), z.literal(3)]).optional(),
  highAvailability: z.boolean().optional(),
  availabilityTarget: str().optional(),
  network: z
    .strictObject({
      vpcCidr: str().optional(),
      podCidr: str().optional(),
      serviceCidr: str().optional(),
      natStrategy: z.enum(["per-az", "single"]).optional(),
      isolatedSubnets: z.boolean().optional(),
      interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINT_SERVICES)).optional(),
      flowLogs: z.boolean().optional(),
      existing: z
        .strictObject({
          vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "must look like vpc-0123456789abcdef0"),
          publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must look like subnet-0123456789abcdef0")).min(1),
          privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must look like subnet-0123456789abcdef0")).min(1),
        })
        .optional(),
    })
    .optional(),
  bastion: z
    .strictObject({
      enabled: z.boolean().optional(),
      instanceType: str().optional(),
      sshAllowlist: z.array(z.string()).optional(),
    })
    .optional(),
  api: z
    .strictObject({
      exposure: z.enum(["public", "private"]).optional(),
      allowedCidrs: z.array(z.string()).optional(),
      domain: str().optional(),
      publicZoneId: str().optional(),
    })
    .optional(),
  controlPlane: z
    .strictObject({
      count: z.union([z.literal(1), z.literal(3), z.literal(5)]).optional(),
      instanceType: str().optional(),
      rootVolumeGiB: int(20, 16384).optional(),
    })
    .optional(),
  etcd: z
    .strictObject({
      topology: z.enum(["colocated", "dedicated"]).optional(),
      runtime: z.enum(["containerized", "on-host"]).optional(),
      members: z.union([z.literal(1), z.literal(3), z.literal(5), z.literal(7)]).optional(),
      instanceType: str().optional(),
      volume: z
        .strictObject({
          type: z.enum(["gp3", "io2"]).optional(),
          sizeGiB: int(10, 16384).optional(),
          iops: int(3000, 256000).optional(),
          throughputMiBps: int(0, 1000).optional(),
        })
        .optional(),
    })
    .optional(),
  backup: z
    .strictObject({
      intervalMinutes: int(5, 1440).optional(),
      frequentRetentionDays: int(1, 3650).optional(),
      dailyRetentionDays: int(1, 3650).optional(),
    })
    .optional(),
  deletionProtection: z.boolean().optional(),
  upgradeStrategy: z.enum(["in-place", "node-replacement", "blue-green"]).optional(),
  nodePools: z.array(nodePoolSchema).optional(),
  versions: versionsSchema.optional(),
  images: z
    .strictObject({
      nodeAmi: z
        .string()
        .regex(/^ami-[0-9a-f]{8,17}$/, "must look like ami-0123456789abcdef0")
        .optional(),
      gpuAmi: z
        .string()
        .regex(/^ami-[0-9a-f]{8,17}$/, "must look like ami-0123456789abcdef0")
        .optional(),
    })
    .optional(),
  tags: z.record(z.string(), z.string()).optional(),
  tokenRotation: z.string().min(1).max(64).optional(),
  kubeletServingCertificates: z.enum(["self-signed", "cluster-ca"]).optional(),
});

/** The stack config as written (before tier defaults are applied). */
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
