import * as aws from "@pulumi/aws";
import { spawnSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { REPO_ROOT } from "../../tools/plan/run";
import { Vpc } from "../../components/network/vpc";
import { INTERFACE_ENDPOINT_SERVICES } from "../../components/config/spec";
import { MOCK_EXISTING_VPC_ID } from "../../tools/plan/mocks";
import { AZS3, capture, specFor } from "./fixtures";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const CLI = path.join(REPO_ROOT, "tools", "plan", "cli.ts");
const SUBNET = "aws:ec2/subnet:Subnet";
const ROUTE = "aws:ec2/route:Route";
const NAT = "aws:ec2/natGateway:NatGateway";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const RT = "aws:ec2/routeTable:RouteTable";

describe("Vpc: dev tier (2 AZs, single NAT, no interface endpoints, no flow logs)", () => {
  const spec = specFor("dev");
  let out: { priv: { value?: string[] }; pub: { value?: string[] }; nat: { value?: string[] } };
  let rec: Awaited<ReturnType<typeof recordProgram>>;
  beforeAll(async () => {
    rec = await recordProgram(() => {
      const v = new Vpc("t", { spec });
      out = { priv: capture(v.privateSubnetIds), pub: capture(v.publicSubnetIds), nat: capture(v.natPublicIps) };
    });
  });

  test("records cleanly", () => expect(rec.errors).toEqual([]));

  test("the VPC and subnets follow the plan: CIDR, AZ, no public IPs on launch", () => {
    expect(inputs(named(rec, "aws:ec2/vpc:Vpc", "t-vpc"))).toMatchObject({ cidrBlock: "10.0.0.0/16", enableDnsSupport: true, enableDnsHostnames: true });
    const subnets = ofType(rec, SUBNET).map((s) => [s.name, inputs(s).cidrBlock, inputs(s).availabilityZone, inputs(s).mapPublicIpOnLaunch]);
    expect(subnets).toEqual(expect.arrayContaining([
      ["t-public-0", "10.0.128.0/21", "eu-west-1a", false],
      ["t-public-1", "10.0.136.0/21", "eu-west-1b", false],
      ["t-private-0", "10.0.0.0/19", "eu-west-1a", false],
      ["t-private-1", "10.0.32.0/19", "eu-west-1b", false],
    ]));
    expect(subnets).toHaveLength(4);
    expect(inputs(named(rec, SUBNET, "t-public-0")).tags["kubernetes.io/role/elb"]).toBe("1");
    expect(inputs(named(rec, SUBNET, "t-private-1")).tags["kubernetes.io/role/internal-elb"]).toBe("1");
    expect(out.priv.value).toEqual(["t-private-0", "t-private-1"].map((n) => named(rec, SUBNET, n).id));
    expect(out.pub.value).toEqual(["t-public-0", "t-public-1"].map((n) => named(rec, SUBNET, n).id));
  });

  test("one NAT, in the first public subnet, and both private route tables use it", () => {
    const nats = ofType(rec, NAT);
    expect(nats.map((n) => n.name)).toEqual(["t-nat-0"]);
    expect(inputs(nats[0]!)).toMatchObject({ subnetId: named(rec, SUBNET, "t-public-0").id, allocationId: named(rec, "aws:ec2/eip:Eip", "t-nat-0").id, connectivityType: "public" });
    for (const i of [0, 1]) {
      expect(inputs(named(rec, ROUTE, `t-private-${i}-default`))).toEqual({
        routeTableId: named(rec, RT, `t-private-${i}`).id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nats[0]!.id,
      });
    }
    expect(out.nat.value).toEqual(["198.51.100.1"]);
  });

  test("public subnets route to the internet gateway", () => {
    expect(inputs(named(rec, ROUTE, "t-public-default"))).toMatchObject({
      routeTableId: named(rec, RT, "t-public").id, destinationCidrBlock: "0.0.0.0/0", gatewayId: named(rec, "aws:ec2/internetGateway:InternetGateway", "t-igw").id,
    });
    const assoc = ofType(rec, "aws:ec2/routeTableAssociation:RouteTableAssociation").map((a) => [inputs(a).subnetId, inputs(a).routeTableId]);
    expect(assoc).toEqual(expect.arrayContaining([
      [named(rec, SUBNET, "t-public-0").id, named(rec, RT, "t-public").id],
      [named(rec, SUBNET, "t-private-1").id, named(rec, RT, "t-private-1").id],
    ]));
  });

  test("the S3 gateway endpoint is always there, on every route table; nothing else", () => {
    const eps = ofType(rec, ENDPOINT);
    expect(eps.map((e) => e.name)).toEqual(["t-vpce-s3"]);
    expect(inputs(eps[0]!)).toMatchObject({
      serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway",
      routeTableIds: ["t-public", "t-private-0", "t-private-1"].map((n) => named(rec, RT, n).id),
    });
    expect(ofType(rec, "aws:ec2/flowLog:FlowLog")).toEqual([]);
  });

  test("the default security group is stripped of its rules", () => {
    const d = inputs(named(rec, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "t-default-sg"));
    expect(d.ingress).toBeUndefined();
    expect(d.egress).toBeUndefined();
  });
});

describe("Vpc: standard tier (3 AZs, NAT per AZ, interface endpoints, flow logs)", () => {
  const spec = specFor("standard");
  let rec: Awaited<ReturnType<typeof recordProgram>>;
  beforeAll(async () => {
    rec = await recordProgram(() => new Vpc("t", { spec }));
  });

  test("records cleanly", () => expect(rec.errors).toEqual([]));

  test("each AZ's private route table uses its own AZ's NAT, which sits in that AZ's public subnet", () => {
    for (const i of [0, 1, 2]) {
      const nat = named(rec, NAT, `t-nat-${i}`);
      expect(inputs(nat).subnetId).toBe(named(rec, SUBNET, `t-public-${i}`).id);
      expect(inputs(named(rec, SUBNET, `t-public-${i}`)).availabilityZone).toBe(AZS3[i]);
      expect(inputs(named(rec, ROUTE, `t-private-${i}-default`)).natGatewayId).toBe(nat.id);
    }
    expect(ofType(rec, NAT)).toHaveLength(3);
  });

  test("interface endpoints: private DNS, in the private subnets, behind their own group that admits 443 from the VPC", () => {
    const sg = named(rec, "aws:ec2/securityGroup:SecurityGroup", "t-endpoints");
    const iface = ofType(rec, ENDPOINT).filter((e) => inputs(e).vpcEndpointType === "Interface");
    expect(iface.map((e) => inputs(e).serviceName).sort()).toEqual(spec.network.interfaceEndpoints.map((s) => `com.amazonaws.eu-west-1.${s}`).sort());
    expect(spec.network.interfaceEndpoints.length).toBeGreaterThanOrEqual(8);
    for (const e of iface) {
      expect(inputs(e)).toMatchObject({ privateDnsEnabled: true, securityGroupIds: [sg.id], subnetIds: [0, 1, 2].map((i) => named(rec, SUBNET, `t-private-${i}`).id) });
    }
    const rules = ofType(rec, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(rules.map((r) => [inputs(r).securityGroupId, inputs(r).cidrIpv4, inputs(r).ipProtocol, inputs(r).fromPort, inputs(r).toPort])).toEqual([[sg.id, "10.0.0.0/16", "tcp", 443, 443]]);
    expect(INTERFACE_ENDPOINT_SERVICES).toEqual(expect.arrayContaining(spec.network.interfaceEndpoints));
  });

  test("flow logs: all traffic to a retained log group, through a role only the flow-logs service of this account may assume", () => {
    const group = named(rec, "aws:cloudwatch/logGroup:LogGroup", "t-flow-logs");
    expect(inputs(group)).toMatchObject({ name: "/aws/vpc-flow-logs/t-standard", retentionInDays: 30 });
    expect(group.retainOnDelete).toBe(true); // the standard tier asks for deletion protection
    const role = named(rec, "aws:iam/role:Role", "t-flow-logs");
    const trust = JSON.parse(inputs(role).assumeRolePolicy);
    expect(trust.Statement[0].Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
    expect(trust.Statement[0].Condition.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
    const fl = inputs(named(rec, "aws:ec2/flowLog:FlowLog", "t-flow-logs"));
    expect(fl).toMatchObject({ vpcId: named(rec, "aws:ec2/vpc:Vpc", "t-vpc").id, trafficType: "ALL", logDestinationType: "cloud-watch-logs", maxAggregationInterval: 60 });
    expect(fl.logDestination).toMatch(/^arn:aws:logs:eu-west-1:123456789012:log-group:\/aws\/vpc-flow-logs\/t-standard$/);
    const policy = JSON.parse(inputs(named(rec, "aws:iam/rolePolicy:RolePolicy", "t-flow-logs")).policy);
    expect(policy.Statement[0].Resource).toEqual([fl.logDestination, `${fl.logDestination}:*`]);
  });
});

describe("Vpc: critical tier with isolated subnets and its own range", () => {
  const spec = specFor("critical", { network: { vpcCidr: "10.30.0.0/16", isolatedSubnets: true } });
  let rec: Awaited<ReturnType<typeof recordProgram>>;
  beforeAll(async () => {
    rec = await recordProgram(() => new Vpc("t", { spec }));
  });

  test("isolated subnets share one route table with no route out; the others are where the plan puts them", () => {
    expect(rec.errors).toEqual([]);
    expect([0, 1, 2].map((i) => inputs(named(rec, SUBNET, `t-isolated-${i}`)).cidrBlock)).toEqual(["10.30.160.0/21", "10.30.168.0/21", "10.30.176.0/21"]);
    expect([0, 1, 2].map((i) => inputs(named(rec, SUBNET, `t-private-${i}`)).cidrBlock)).toEqual(["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"]);
    const iso = named(rec, RT, "t-isolated");
    expect(ofType(rec, ROUTE).filter((r) => inputs(r).routeTableId === iso.id)).toEqual([]);
    expect(inputs(named(rec, ENDPOINT, "t-vpce-s3")).routeTableIds).toContain(iso.id);
  });
});

describe("Vpc: bring your own VPC", () => {
  // Under the plan's mocks an existing subnet whose id ends in digit d is in the d-th pinned AZ.
  const sub = (kind: "a" | "b", d: number) => `subnet-0${kind}${"0".repeat(14)}${d}`;
  const existing = {
    vpcId: MOCK_EXISTING_VPC_ID,
    publicSubnetIds: [0, 1, 2].map((d) => sub("a", d)),
    privateSubnetIds: [0, 1, 2].map((d) => sub("b", d)),
  };

  test("creates no network resources and gives the existing ids, in AZ order", async () => {
    const spec = specFor("standard", { network: { existing } });
    let got: Record<string, { value?: unknown }> = {};
    let plan: unknown = "unset";
    const rec = await recordProgram(() => {
      const v = new Vpc("t", { spec });
      plan = v.plan;
      got = { vpcId: capture(v.vpcId), cidr: capture(v.vpcCidr), pub: capture(v.publicSubnetIds), priv: capture(v.privateSubnetIds), nat: capture(v.natPublicIps) };
    });
    expect(rec.errors).toEqual([]);
    expect(rec.resources.filter((r) => r.custom)).toEqual([]);
    expect(got.vpcId!.value).toBe(MOCK_EXISTING_VPC_ID);
    expect(got.cidr!.value).toBe("10.0.0.0/16");
    expect(got.pub!.value).toEqual(existing.publicSubnetIds);
    expect(got.priv!.value).toEqual(existing.privateSubnetIds);
    expect(got.nat!.value).toEqual([]);
    expect(plan).toBeUndefined();
  });

  test("a subnet in the wrong AZ or another VPC fails the plan of a stack, naming it", () => {
    // Run as the plan command does (its own process): the failed check rejects every resource that uses the ids.
    const config = (vpcId: string, priv: string[]) => [
      "config:", "  aws:region: eu-west-1", "  pulumi-kubeadm-aws:cluster:", "    name: byo", "    tier: standard", "    region: eu-west-1",
      `    availabilityZones: [${AZS3.join(", ")}]`, "    api:", "      allowedCidrs: [203.0.113.0/24]", "    network:", "      existing:",
      `        vpcId: ${vpcId}`, `        publicSubnetIds: [${existing.publicSubnetIds.join(", ")}]`, `        privateSubnetIds: [${priv.join(", ")}]`, "",
    ].join("\n");
    const plan = (text: string) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "byo-")), "Pulumi.byo.yaml");
      writeFileSync(file, text);
      return spawnSync(TSX, [CLI, "--config", file], { encoding: "utf8" });
    };
    // The layout is checked once, in one apply over every subnet: one error listing every problem,
    // however many resources use the subnet ids (they wait for the check).
    const failures = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("  - "));
    const swapped = plan(config(MOCK_EXISTING_VPC_ID, [sub("b", 1), sub("b", 0), sub("b", 2)]));
    expect(swapped.status).toBe(1);
    expect(failures(swapped.stdout)).toEqual([
      `  - network.existing: the subnets do not match the cluster's layout: privateSubnetIds[0] ${sub("b", 1)} is in eu-west-1b; expected eu-west-1a`
      + ` (one subnet per AZ, in availabilityZones order); privateSubnetIds[1] ${sub("b", 0)} is in eu-west-1a; expected eu-west-1b`
      + ` (one subnet per AZ, in availabilityZones order) (thrown in an apply at components/network/vpc.ts:${swapped.stdout.match(/vpc\.ts:(\d+)/)?.[1]})`,
    ]);
    const other = plan(config("vpc-0fedcba9876543210", existing.privateSubnetIds));
    expect(other.status).toBe(1);
    expect(failures(other.stdout)).toHaveLength(1);
    expect(other.stdout.split("network.existing").length - 1).toBe(1);
    // Public and private subnets are checked together.
    expect(other.stdout).toContain(`publicSubnetIds[0] ${sub("a", 0)} is in ${MOCK_EXISTING_VPC_ID}, not in vpc-0fedcba9876543210`);
    expect(other.stdout).toContain(`privateSubnetIds[2] ${sub("b", 2)} is in ${MOCK_EXISTING_VPC_ID}, not in vpc-0fedcba9876543210`);
    const good = plan(config(MOCK_EXISTING_VPC_ID, existing.privateSubnetIds));
    expect(good.stdout).not.toContain("network.existing");
    expect(good.status).toBe(0);
  });

  test("under recordProgram: a wrong layout is one error, and resources that use the ids still record", async () => {
    const spec = specFor("standard", { network: { existing: { ...existing, privateSubnetIds: [sub("b", 2), sub("b", 1), sub("b", 0)] } } });
    const rec = await recordProgram(() => {
      const v = new Vpc("t", { spec });
      // A dozen consumers of the checked ids.
      for (const [i, id] of [...v.privateSubnetIds, ...v.publicSubnetIds, ...v.privateSubnetIds, ...v.publicSubnetIds].entries()) {
        new aws.ec2.NetworkInterface(`eni-${i}`, { subnetId: id });
      }
    });
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toContain(`privateSubnetIds[0] ${sub("b", 2)} is in eu-west-1c; expected eu-west-1a`);
    expect(rec.errors[0]).toContain(`privateSubnetIds[2] ${sub("b", 0)} is in eu-west-1a; expected eu-west-1c`);
    expect(rec.errors[0]).not.toContain("privateSubnetIds[1]");
    const enis = ofType(rec, "aws:ec2/networkInterface:NetworkInterface");
    expect(enis).toHaveLength(12);
    // Nothing got a subnet id that failed the check.
    expect(enis.map((e) => inputs(e).subnetId)).toEqual(Array(12).fill(undefined));
  });

  test("too few subnets for the tier's AZs, or a bad id, is refused before anything is created", async () => {
    const spec = specFor("standard");
    spec.network.existing = { vpcId: MOCK_EXISTING_VPC_ID, publicSubnetIds: [sub("a", 0), sub("a", 1)], privateSubnetIds: [sub("b", 0), "sn-1", sub("b", 0)] };
    const rec = await recordProgram(() => new Vpc("t", { spec }));
    const text = rec.errors.join("\n");
    expect(text).toContain("publicSubnetIds has 2 subnet(s); the cluster spans 3 AZs");
    expect(text).toContain(`privateSubnetIds[1] "sn-1" is not a subnet id`);
    expect(text).toContain(`subnet(s) listed more than once: ${sub("b", 0)}`);
    expect(rec.resources.filter((r) => r.custom)).toEqual([]);
  });
});
