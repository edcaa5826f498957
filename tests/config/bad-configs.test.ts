/**
 * A table of bad configurations: each must be rejected with the exact config path and message,
 * and with no other problem (so each row tests one rule).
 */
import { validateClusterConfig } from "../../components/config";
import { SUPPORTED_MINORS } from "../../components/versions/manifest";

const base = () => ({
  name: "demo",
  tier: "dev",
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  api: { allowedCidrs: ["203.0.113.0/24"] },
  nodePools: [{ name: "general", preset: "general", minSize: 1, maxSize: 3 }],
});
type Cfg = ReturnType<typeof base> & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const std = (c: Cfg) => Object.assign(c, { tier: "standard", availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] });

/** What the kubelet allows in its restricted namespaces (components/core/labels.ts, from the kubelet's own table). */
const RESTRICTED =
  "is in the kubelet-restricted namespaces (*.kubernetes.io, *.k8s.io), where the kubelet (--node-labels) and NodeRestriction allow only the namespaces " +
  "kubelet.kubernetes.io/ and node.kubernetes.io/ (and their subdomains) and the keys beta.kubernetes.io/arch, beta.kubernetes.io/instance-type, beta.kubernetes.io/os, failure-domain.beta.kubernetes.io/region, failure-domain.beta.kubernetes.io/zone, kubernetes.io/arch, kubernetes.io/hostname, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone";

const rows: [string, (c: Cfg) => unknown, string, string][] = [
  [
    "unknown top-level key",
    (c) => (c.nodepools = []),
    "cluster.nodepools",
    "unknown key (check its spelling; see README, Configuration reference)",
  ],
  [
    "unknown nested key",
    (c) => (c.network = { vpcCidrs: "10.0.0.0/16" }),
    "cluster.network.vpcCidrs",
    "unknown key (check its spelling; see README, Configuration reference)",
  ],
  ["unknown tier", (c) => (c.tier = "gold"), "cluster.tier", 'must be one of "dev", "standard", "critical" (got "gold")'],
  ["missing region", (c) => delete (c as Partial<Cfg>).region, "cluster.region", "is required (string)"],
  ["etcd members 4", (c) => (c.etcd = { topology: "dedicated", members: 4 }), "cluster.etcd.members", "must be one of 1, 3, 5, 7 (got 4)"],
  ["control plane count 2", (c) => (c.controlPlane = { count: 2 }), "cluster.controlPlane.count", "must be one of 1, 3, 5 (got 2)"],
  [
    "maxSize below minSize",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, minSize: 3, maxSize: 2 }),
    "cluster.nodePools[0].maxSize",
    "must be >= minSize (3)",
  ],
  [
    "desired above max",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, desiredSize: 5 } as never),
    "cluster.nodePools[0].desiredSize",
    "must be <= maxSize (3)",
  ],
  [
    "desired below min",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, minSize: 2, desiredSize: 1 } as never),
    "cluster.nodePools[0].desiredSize",
    "must be >= minSize (2)",
  ],
  ["negative minSize", (c) => (c.nodePools[0] = { ...c.nodePools[0]!, minSize: -1 }), "cluster.nodePools[0].minSize", "must be >= 0"],
  [
    "duplicate pool name",
    (c) => c.nodePools.push({ name: "general", preset: "memory", minSize: 0, maxSize: 1 }),
    "cluster.nodePools[1].name",
    '"general" is already the name of nodePools[0]; pool names must be unique',
  ],
  [
    "pool name not DNS-safe",
    (c) => (c.nodePools[0]!.name = "General_Pool"),
    "cluster.nodePools[0].name",
    `"General_Pool" must be a DNS label: lowercase letters, digits and '-', starting with a letter`,
  ],
  [
    "gpu pool without GPU type",
    (c) => c.nodePools.push({ name: "gpu", preset: "gpu", instanceTypes: ["m5.xlarge"], minSize: 0, maxSize: 1 } as never),
    "cluster.nodePools[1].instanceTypes[0]",
    '"m5.xlarge" has no GPU; a gpu pool needs a GPU instance type (g4dn, g5, g6, g6e, p3, p3dn, p4d, p5)',
  ],
  [
    "GPU type in a general pool",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, instanceTypes: ["p3.2xlarge"] } as never),
    "cluster.nodePools[0].instanceTypes[0]",
    '"p3.2xlarge" is a GPU instance type; use preset: gpu so the pool boots the GPU image and carries the nvidia.com/gpu taint',
  ],
  [
    "restricted node-role label",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, labels: { "node-role.kubernetes.io/ingress": "" } } as never),
    'cluster.nodePools[0].labels["node-role.kubernetes.io/ingress"]',
    `"node-role.kubernetes.io/ingress" ${RESTRICTED}; for a role use node.kubeadm-aws.io/role (node-role.kubernetes.io/ labels are set from the control plane, never by the kubelet)`,
  ],
  [
    "label in kubernetes.io namespace",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, labels: { "team.kubernetes.io/x": "a" } } as never),
    'cluster.nodePools[0].labels["team.kubernetes.io/x"]',
    `"team.kubernetes.io/x" ${RESTRICTED}; use a prefix of your own (e.g. node.kubeadm-aws.io/x) or apply the label from the control plane`,
  ],
  [
    "kubelet-allowed beta instance-type label with a bad value",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, labels: { "beta.kubernetes.io/instance-type": "m5 large" } } as never),
    'cluster.nodePools[0].labels["beta.kubernetes.io/instance-type"]',
    'value "m5 large" must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric',
  ],
  [
    "bad taint effect",
    (c) => (c.nodePools[0] = { ...c.nodePools[0]!, taints: [{ key: "a", effect: "NoRun" }] } as never),
    "cluster.nodePools[0].taints[0].effect",
    'must be one of "NoSchedule", "PreferNoSchedule", "NoExecute" (got "NoRun")',
  ],
  [
    "invalid VPC CIDR",
    (c) => (c.network = { vpcCidr: "10.0.0.1/16" }),
    "cluster.network.vpcCidr",
    '"10.0.0.1/16" is not a valid IPv4 CIDR (a.b.c.d/n with no host bits set)',
  ],
  [
    "VPC too large",
    (c) => (c.network = { vpcCidr: "10.0.0.0/15" }),
    "cluster.network.vpcCidr",
    "prefix /15 is outside /16../22 (AWS allows /16 at most; the subnet plan needs at least a /22)",
  ],
  [
    "pod range overlaps VPC",
    (c) => (c.network = { podCidr: "10.0.128.0/17" }),
    "cluster.network.podCidr",
    "10.0.128.0/17 overlaps vpcCidr 10.0.0.0/16; VPC, pod and service ranges must be disjoint",
  ],
  [
    "service range overlaps pods",
    (c) => (c.network = { serviceCidr: "10.244.0.0/16" }),
    "cluster.network.serviceCidr",
    "10.244.0.0/16 overlaps podCidr 10.244.0.0/16; VPC, pod and service ranges must be disjoint",
  ],
  [
    "HA tier with one control-plane node",
    (c) => {
      std(c);
      c.controlPlane = { count: 1 };
      c.etcd = { topology: "dedicated", members: 3 };
    },
    "cluster.controlPlane.count",
    "tier standard promises high availability: at least 3 control-plane nodes",
  ],
  [
    "HA tier with a single NAT",
    (c) => {
      std(c);
      c.network = { natStrategy: "single" };
    },
    "cluster.network.natStrategy",
    "tier standard promises high availability: a single NAT gateway is a single point of failure; use per-az",
  ],
  [
    "HA tier with too few AZs listed",
    (c) => (c.tier = "standard"),
    "cluster.availabilityZones",
    "lists 2 zone(s) but the cluster spans 3 (tier standard; set azCount to change it): list exactly 3",
  ],
  [
    "colocated etcd member count differs",
    (c) => (c.etcd = { members: 3 }),
    "cluster.etcd.members",
    "colocated etcd runs one member per control-plane node: must equal controlPlane.count (1), or use topology: dedicated",
  ],
  [
    "AZ of another region",
    (c) => (c.availabilityZones = ["eu-west-1a", "us-east-1b"]),
    "cluster.availabilityZones[1]",
    '"us-east-1b" is not an availability zone of region eu-west-1 (expected eu-west-1a, eu-west-1b, ...)',
  ],
  [
    "same AZ twice",
    (c) => (c.availabilityZones = ["eu-west-1a", "eu-west-1a"]),
    "cluster.availabilityZones[1]",
    '"eu-west-1a" is listed twice',
  ],
  [
    "cluster name too long for AWS names",
    (c) => (c.name = "a-very-long-cluster-name"),
    "cluster.name",
    '"a-very-long-cluster-name" is 24 characters; at most 20 so that derived AWS names (load balancer, target group: 32) fit',
  ],
  [
    "public API without allowlist",
    (c) => (c.api = { allowedCidrs: [] }),
    "cluster.api.allowedCidrs",
    "an internet-facing API endpoint needs an allowlist of client CIDRs (or set api.exposure: private)",
  ],
  [
    "allowlist of the whole internet",
    (c) => (c.api = { allowedCidrs: ["0.0.0.0/0"] }),
    "cluster.api.allowedCidrs[0]",
    "0.0.0.0/0 is not an allowlist; name the client networks",
  ],
  [
    "bastion SSH open to the internet",
    (c) => (c.bastion = { sshAllowlist: ["0.0.0.0/0"] }),
    "cluster.bastion.sshAllowlist[0]",
    "0.0.0.0/0 is not an allowlist; name the client networks",
  ],
  [
    "Kubernetes version not full",
    (c) => (c.versions = { kubernetes: "1.36" }),
    "cluster.versions.kubernetes",
    'must be a full version X.Y.Z (got "1.36")',
  ],
  [
    "unsupported Kubernetes minor",
    (c) => (c.versions = { kubernetes: "1.33.5" }),
    "cluster.versions.kubernetes",
    "minor 1.33 is no longer supported (end of life upstream, and kubeadm of a supported minor cannot deploy it); supported: 1.35, 1.36, 1.37",
  ],
  [
    "Kubernetes minor not supported yet",
    (c) => (c.versions = { kubernetes: "1.38.0" }),
    "cluster.versions.kubernetes",
    "minor 1.38 is not supported yet; supported: 1.35, 1.36, 1.37",
  ],
  [
    "kubelet newer than the API server",
    (c) => (c.versions = { kubernetes: "1.35.4", kubelet: "1.36.3" }),
    "cluster.versions.kubelet",
    "kubelet 1.36.3 is newer than the API server 1.35.4; kubelet must not be newer than the control plane",
  ],
  [
    "etcd unsupported by Kubernetes",
    (c) => (c.versions = { kubernetes: "1.36.3", etcd: "3.4.30" }),
    "cluster.versions.etcd",
    "etcd 3.4.30 is not supported by Kubernetes 1.36; allowed etcd minors: 3.5, 3.6",
  ],
  [
    "etcd older than kubeadm's minimum",
    (c) => (c.versions = { kubernetes: "1.36.3", etcd: "3.5.21" }),
    "cluster.versions.etcd",
    "etcd 3.5.21 is older than 3.5.24, the oldest kubeadm 1.36 accepts",
  ],
  [
    "crictl two minors back",
    (c) => (c.versions = { kubernetes: "1.36.3", crictl: "1.34.0" }),
    "cluster.versions.crictl",
    "crictl 1.34.0 must be of the Kubernetes minor 1.36 or the one before (1.36 or 1.35)",
  ],
  [
    "gp3 IOPS above the limit",
    (c) => (c.etcd = { topology: "dedicated", volume: { type: "gp3", sizeGiB: 100, iops: 20000 } }),
    "cluster.etcd.volume.iops",
    "gp3 allows at most 16000 IOPS (got 20000); use type: io2 for more",
  ],
  [
    "backup interval not dividing a day",
    (c) => (c.backup = { intervalMinutes: 7 }),
    "cluster.backup.intervalMinutes",
    "7 does not divide a day (1440 minutes); use e.g. 15, 30, 60, 360",
  ],
  ["wrong type", (c) => (c.deletionProtection = "yes"), "cluster.deletionProtection", "must be a boolean"],
  [
    "BYO VPC with too few subnets",
    (c) =>
      (c.network = {
        existing: {
          vpcId: "vpc-0123456789abcdef0",
          publicSubnetIds: ["subnet-0123456789abcdef0"],
          privateSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
        },
      }),
    "cluster.network.existing.publicSubnetIds",
    "has 1 subnet(s); the cluster spans 2 AZs: give one per AZ, in availabilityZones order",
  ],
  ["malformed AMI id", (c) => (c.images = { nodeAmi: "ubuntu-latest" }), "cluster.images.nodeAmi", "must look like ami-0123456789abcdef0"],
  [
    "reserved tag prefix",
    (c) => (c.tags = { "aws:owner": "me" }),
    'cluster.tags["aws:owner"]',
    "tag keys are at most 128 characters and may not start with aws:",
  ],
];

describe("bad configurations are rejected with their path and message", () => {
  test("the base config is valid", () => {
    expect(validateClusterConfig(base())).toEqual([]);
  });
  test("the table has at least 25 rows", () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
  });
  test.each(rows)("%s", (_title, mutate, path, message) => {
    const c = base() as Cfg;
    mutate(c);
    expect(validateClusterConfig(c)).toEqual([{ path, message }]);
  });
});

describe("every problem is reported at once", () => {
  test("schema and cross-field problems together, in one pass", () => {
    const c = base() as Cfg;
    c.typo = true;
    c.nodePools[0] = { ...c.nodePools[0]!, minSize: 5, maxSize: 2 };
    c.network = { podCidr: "10.0.0.0/16" };
    c.etcd = { members: 2 };
    const paths = validateClusterConfig(c).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(["cluster.typo", "cluster.nodePools[0].maxSize", "cluster.network.podCidr", "cluster.etcd.members"]),
    );
  });
  test("a missing config says what to set", () => {
    expect(validateClusterConfig(undefined)).toEqual([
      { path: "cluster", message: "is required: set pulumi-kubeadm-aws:cluster to an object (see README)" },
    ]);
  });
});

describe("Kubernetes minors", () => {
  const withVersions = (versions: Record<string, string>) => ({ ...base(), versions });

  test("1.34 (end of life) is refused, and the message names every supported minor", () => {
    const issues = validateClusterConfig(withVersions({ kubernetes: "1.34.6" }));
    expect(issues).toEqual([
      {
        path: "cluster.versions.kubernetes",
        message:
          "minor 1.34 is no longer supported (end of life upstream, and kubeadm of a supported minor cannot deploy it); supported: 1.35, 1.36, 1.37",
      },
    ]);
    expect(Object.keys(SUPPORTED_MINORS)).toEqual(["1.35", "1.36", "1.37"]);
    for (const minor of Object.keys(SUPPORTED_MINORS)) expect(issues[0]!.message).toContain(minor);
  });

  test.each([
    ["1.36.3", "1.35.0"],
    ["1.35.4", "1.34.0"],
    ["1.37.2", "1.36.0"],
  ])("Kubernetes %s accepts crictl %s (the previous minor, as its release is built with)", (kubernetes, crictl) => {
    expect(validateClusterConfig(withVersions({ kubernetes, crictl }))).toEqual([]);
  });

  test("crictl of the Kubernetes minor itself is accepted too, and every supported minor's pins validate", () => {
    expect(validateClusterConfig(withVersions({ kubernetes: "1.36.3", crictl: "1.36.0" }))).toEqual([]);
    for (const [minor, support] of Object.entries(SUPPORTED_MINORS)) {
      expect({ minor, issues: validateClusterConfig(withVersions({ kubernetes: `${minor}.1`, ...support.defaults })) }).toEqual({
        minor,
        issues: [],
      });
    }
  });
});
