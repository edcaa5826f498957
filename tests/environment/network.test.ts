/**
 * The Environment's network side: a Vpc built from narrow args (its type token, resource names and
 * so URNs unchanged, because a renamed resource is replaced in a real stack), or an existing network
 * (`existingNetwork`, from spec.network.existing or given) and then no Vpc at all.
 */
import * as pulumi from "@pulumi/pulumi";
import { clusterEnvironment } from "../../components/environment/cluster-environment";
import { Environment } from "../../components/environment/environment";
import { existingNetwork } from "../../components/environment/existing-network";
import { MOCK_EXISTING_VPC_ID } from "../../tools/plan/mocks";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { AZS3, capture, specFor } from "../network/fixtures";

const AMI = "ami-0123456789abcdef0";
const VPC_URN =
  "urn:pulumi:test::pulumi-kubeadm-aws::pulumi-kubeadm-aws:environment:Environment$pulumi-kubeadm-aws:network:Vpc::env-network";

// The Vpc's children as recorded before the Vpc took narrow args (type::name; the parent is the Vpc above).
const VPC_CHILDREN = {
  dev: [
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup::env-network-default-sg",
    "aws:ec2/eip:Eip::env-network-nat-0",
    "aws:ec2/internetGateway:InternetGateway::env-network-igw",
    "aws:ec2/natGateway:NatGateway::env-network-nat-0",
    "aws:ec2/route:Route::env-network-private-0-default",
    "aws:ec2/route:Route::env-network-private-1-default",
    "aws:ec2/route:Route::env-network-public-default",
    "aws:ec2/routeTable:RouteTable::env-network-private-0",
    "aws:ec2/routeTable:RouteTable::env-network-private-1",
    "aws:ec2/routeTable:RouteTable::env-network-public",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-private-0",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-private-1",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-public-0",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-public-1",
    "aws:ec2/subnet:Subnet::env-network-private-0",
    "aws:ec2/subnet:Subnet::env-network-private-1",
    "aws:ec2/subnet:Subnet::env-network-public-0",
    "aws:ec2/subnet:Subnet::env-network-public-1",
    "aws:ec2/vpc:Vpc::env-network-vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-s3",
  ],
  standard: [
    "aws:cloudwatch/logGroup:LogGroup::env-network-flow-logs",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup::env-network-default-sg",
    "aws:ec2/eip:Eip::env-network-nat-0",
    "aws:ec2/eip:Eip::env-network-nat-1",
    "aws:ec2/eip:Eip::env-network-nat-2",
    "aws:ec2/flowLog:FlowLog::env-network-flow-logs",
    "aws:ec2/internetGateway:InternetGateway::env-network-igw",
    "aws:ec2/natGateway:NatGateway::env-network-nat-0",
    "aws:ec2/natGateway:NatGateway::env-network-nat-1",
    "aws:ec2/natGateway:NatGateway::env-network-nat-2",
    "aws:ec2/route:Route::env-network-private-0-default",
    "aws:ec2/route:Route::env-network-private-1-default",
    "aws:ec2/route:Route::env-network-private-2-default",
    "aws:ec2/route:Route::env-network-public-default",
    "aws:ec2/routeTable:RouteTable::env-network-private-0",
    "aws:ec2/routeTable:RouteTable::env-network-private-1",
    "aws:ec2/routeTable:RouteTable::env-network-private-2",
    "aws:ec2/routeTable:RouteTable::env-network-public",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-private-0",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-private-1",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-private-2",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-public-0",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-public-1",
    "aws:ec2/routeTableAssociation:RouteTableAssociation::env-network-public-2",
    "aws:ec2/securityGroup:SecurityGroup::env-network-endpoints",
    "aws:ec2/subnet:Subnet::env-network-private-0",
    "aws:ec2/subnet:Subnet::env-network-private-1",
    "aws:ec2/subnet:Subnet::env-network-private-2",
    "aws:ec2/subnet:Subnet::env-network-public-0",
    "aws:ec2/subnet:Subnet::env-network-public-1",
    "aws:ec2/subnet:Subnet::env-network-public-2",
    "aws:ec2/vpc:Vpc::env-network-vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-autoscaling",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-ec2",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-ec2messages",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-ecr-api",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-ecr-dkr",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-elasticloadbalancing",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-kms",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-logs",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-s3",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-secretsmanager",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-ssm",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-ssmmessages",
    "aws:ec2/vpcEndpoint:VpcEndpoint::env-network-vpce-sts",
    "aws:iam/role:Role::env-network-flow-logs",
    "aws:iam/rolePolicy:RolePolicy::env-network-flow-logs",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::env-network-endpoints-in-vpc-tcp-443",
  ],
};

describe.each(["dev", "standard"] as const)("Environment %s: the Vpc keeps its type token and every resource name", (tier) => {
  test("same Vpc urn, same children", async () => {
    const spec = specFor(tier);
    const rec = await recordProgram(() => new Environment("env", { spec, bastionImageId: AMI }));
    expect(rec.errors).toEqual([]);
    const vpc = named(rec, "pulumi-kubeadm-aws:network:Vpc", "env-network");
    expect(vpc.urn).toBe(VPC_URN);
    const children = rec.resources.filter((r) => r.parent === vpc.urn);
    expect(children.map((r) => `${r.type}::${r.name}`).sort()).toEqual(VPC_CHILDREN[tier]);
    for (const r of children)
      expect(r.urn).toBe(`urn:pulumi:test::pulumi-kubeadm-aws::pulumi-kubeadm-aws:network:Vpc$${r.type}::${r.name}`);
  });
});

test("the Environment reads the Vpc's narrow args off the spec: name, region, AZs, network, tags, deletion protection", async () => {
  const spec = specFor("standard", { name: "narrow", tags: { team: "net" } });
  let plan: unknown;
  const rec = await recordProgram(() => {
    const env = new Environment("env", { spec, bastionImageId: AMI, flowLogRetentionDays: 9 });
    plan = env.subnetPlan;
  });
  expect(rec.errors).toEqual([]);
  expect(inputs(named(rec, "aws:ec2/vpc:Vpc", "env-network-vpc")).tags).toMatchObject({
    team: "net",
    "pulumi-kubeadm-aws:cluster": "narrow",
    Name: "narrow-vpc",
  });
  const group = named(rec, "aws:cloudwatch/logGroup:LogGroup", "env-network-flow-logs");
  expect([inputs(group).name, inputs(group).retentionInDays, group.retainOnDelete]).toEqual(["/aws/vpc-flow-logs/narrow", 9, true]);
  expect(inputs(named(rec, "aws:ec2/vpcEndpoint:VpcEndpoint", "env-network-vpce-s3")).serviceName).toBe("com.amazonaws.eu-west-1.s3");
  expect(
    ofType(rec, "aws:ec2/subnet:Subnet")
      .map((s) => inputs(s).availabilityZone)
      .sort(),
  ).toEqual([...AZS3, ...AZS3].sort());
  expect((plan as { vpcCidr: string }).vpcCidr).toBe("10.0.0.0/16");
});

describe("an Environment in an existing network creates no Vpc and hands the seam on", () => {
  const sub = (kind: "a" | "b", d: number) => `subnet-0${kind}${"0".repeat(14)}${d}`;
  const existing = {
    vpcId: MOCK_EXISTING_VPC_ID,
    publicSubnetIds: [0, 1, 2].map((d) => sub("a", d)),
    privateSubnetIds: [0, 1, 2].map((d) => sub("b", d)),
  };

  test.each([
    [
      "from spec.network.existing",
      () => new Environment("env", { spec: specFor("standard", { network: { existing } }), bastionImageId: AMI }),
    ],
    [
      "given as network: existingNetwork(...)",
      () =>
        new Environment("env", {
          spec: specFor("standard"),
          bastionImageId: AMI,
          network: existingNetwork({ ...existing, vpcCidr: "10.0.0.0/16", availabilityZones: AZS3 }),
        }),
    ],
  ])("%s", async (_title, make) => {
    let seam: { value?: unknown } = {};
    let plan: unknown = "unset";
    const rec = await recordProgram(() => {
      const env = make();
      plan = env.subnetPlan;
      const e = clusterEnvironment(env);
      seam = capture(
        pulumi.output({
          vpcId: e.vpcId,
          vpcCidr: e.vpcCidr,
          publicSubnetIds: e.publicSubnetIds,
          privateSubnetIds: e.privateSubnetIds,
          privateSubnetCidrs: e.privateSubnetCidrs,
          natPublicIps: e.natPublicIps,
        }),
      );
    });
    expect(rec.errors).toEqual([]);
    expect(ofType(rec, "pulumi-kubeadm-aws:network:Vpc")).toEqual([]);
    expect(
      rec.resources.filter(
        (r) =>
          r.type.startsWith("aws:ec2/") &&
          r.type !== "aws:ec2/securityGroup:SecurityGroup" &&
          r.type !== "aws:ec2/launchTemplate:LaunchTemplate",
      ),
    ).toEqual([]);
    expect(plan).toBeUndefined();
    expect(seam.value).toEqual({
      vpcId: MOCK_EXISTING_VPC_ID,
      vpcCidr: "10.0.0.0/16",
      publicSubnetIds: existing.publicSubnetIds,
      privateSubnetIds: existing.privateSubnetIds,
      privateSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"],
      natPublicIps: [],
    });
    // The zone is associated with the existing VPC; the bastion runs in its public subnets.
    expect(inputs(named(rec, "aws:route53/zone:Zone", "env-zone")).vpcs).toEqual([{ vpcId: MOCK_EXISTING_VPC_ID, vpcRegion: "eu-west-1" }]);
    expect(inputs(named(rec, "aws:autoscaling/group:Group", "env-bastion-asg")).vpcZoneIdentifiers).toEqual(existing.publicSubnetIds);
  });

  test("a missing subnet in spec.network.existing names its config path", async () => {
    const spec = specFor("standard", { network: { existing } });
    spec.network.existing = { ...existing, privateSubnetIds: existing.privateSubnetIds.slice(0, 2) };
    expect(() => new Environment("env", { spec, bastionImageId: AMI })).toThrow(
      `cluster.network.existing: privateSubnetIds has 2 subnet(s); the cluster spans 3 AZs (${AZS3.join(", ")}): give one per AZ, in that order`,
    );
  });
});
