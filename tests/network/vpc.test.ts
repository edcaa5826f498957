import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { Vpc } from "../../components/network/vpc";
import { INTERFACE_ENDPOINT_SERVICES } from "../../components/spec/spec";
import { AZS3, capture, specFor, vpcArgsOf } from "./fixtures";

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
      const v = new Vpc("t", vpcArgsOf(spec));
      out = { priv: capture(v.privateSubnetIds), pub: capture(v.publicSubnetIds), nat: capture(v.natPublicIps) };
    });
  });

  test("records cleanly", () => expect(rec.errors).toEqual([]));

  test("the VPC and subnets follow the plan: CIDR, AZ, no public IPs on launch", () => {
    expect(inputs(named(rec, "aws:ec2/vpc:Vpc", "t-vpc"))).toMatchObject({
      cidrBlock: "10.0.0.0/16",
      enableDnsSupport: true,
      enableDnsHostnames: true,
    });
    const subnets = ofType(rec, SUBNET).map((s) => [
      s.name,
      inputs(s).cidrBlock,
      inputs(s).availabilityZone,
      inputs(s).mapPublicIpOnLaunch,
    ]);
    expect(subnets).toEqual(
      expect.arrayContaining([
        ["t-public-0", "10.0.128.0/21", "eu-west-1a", false],
        ["t-public-1", "10.0.136.0/21", "eu-west-1b", false],
        ["t-private-0", "10.0.0.0/19", "eu-west-1a", false],
        ["t-private-1", "10.0.32.0/19", "eu-west-1b", false],
      ]),
    );
    expect(subnets).toHaveLength(4);
    expect(inputs(named(rec, SUBNET, "t-public-0")).tags["kubernetes.io/role/elb"]).toBe("1");
    expect(inputs(named(rec, SUBNET, "t-private-1")).tags["kubernetes.io/role/internal-elb"]).toBe("1");
    expect(out.priv.value).toEqual(["t-private-0", "t-private-1"].map((n) => named(rec, SUBNET, n).id));
    expect(out.pub.value).toEqual(["t-public-0", "t-public-1"].map((n) => named(rec, SUBNET, n).id));
  });

  test("one NAT, in the first public subnet, and both private route tables use it", () => {
    const nats = ofType(rec, NAT);
    expect(nats.map((n) => n.name)).toEqual(["t-nat-0"]);
    expect(inputs(nats[0]!)).toMatchObject({
      subnetId: named(rec, SUBNET, "t-public-0").id,
      allocationId: named(rec, "aws:ec2/eip:Eip", "t-nat-0").id,
      connectivityType: "public",
    });
    for (const i of [0, 1]) {
      expect(inputs(named(rec, ROUTE, `t-private-${i}-default`))).toEqual({
        routeTableId: named(rec, RT, `t-private-${i}`).id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: nats[0]!.id,
      });
    }
    expect(out.nat.value).toEqual(["198.51.100.1"]);
  });

  test("public subnets route to the internet gateway", () => {
    expect(inputs(named(rec, ROUTE, "t-public-default"))).toMatchObject({
      routeTableId: named(rec, RT, "t-public").id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: named(rec, "aws:ec2/internetGateway:InternetGateway", "t-igw").id,
    });
    const assoc = ofType(rec, "aws:ec2/routeTableAssociation:RouteTableAssociation").map((a) => [
      inputs(a).subnetId,
      inputs(a).routeTableId,
    ]);
    expect(assoc).toEqual(
      expect.arrayContaining([
        [named(rec, SUBNET, "t-public-0").id, named(rec, RT, "t-public").id],
        [named(rec, SUBNET, "t-private-1").id, named(rec, RT, "t-private-1").id],
      ]),
    );
  });

  test("the S3 gateway endpoint is always there, on every route table; nothing else", () => {
    const eps = ofType(rec, ENDPOINT);
    expect(eps.map((e) => e.name)).toEqual(["t-vpce-s3"]);
    expect(inputs(eps[0]!)).toMatchObject({
      serviceName: "com.amazonaws.eu-west-1.s3",
      vpcEndpointType: "Gateway",
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
    rec = await recordProgram(() => new Vpc("t", vpcArgsOf(spec)));
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
    expect(iface.map((e) => inputs(e).serviceName).sort()).toEqual(
      spec.network.interfaceEndpoints.map((s) => `com.amazonaws.eu-west-1.${s}`).sort(),
    );
    expect(spec.network.interfaceEndpoints.length).toBeGreaterThanOrEqual(8);
    for (const e of iface) {
      expect(inputs(e)).toMatchObject({
        privateDnsEnabled: true,
        securityGroupIds: [sg.id],
        subnetIds: [0, 1, 2].map((i) => named(rec, SUBNET, `t-private-${i}`).id),
      });
    }
    const rules = ofType(rec, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(
      rules.map((r) => [inputs(r).securityGroupId, inputs(r).cidrIpv4, inputs(r).ipProtocol, inputs(r).fromPort, inputs(r).toPort]),
    ).toEqual([[sg.id, "10.0.0.0/16", "tcp", 443, 443]]);
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
    expect(fl).toMatchObject({
      vpcId: named(rec, "aws:ec2/vpc:Vpc", "t-vpc").id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      maxAggregationInterval: 60,
    });
    expect(fl.logDestination).toMatch(/^arn:aws:logs:eu-west-1:123456789012:log-group:\/aws\/vpc-flow-logs\/t-standard$/);
    const policy = JSON.parse(inputs(named(rec, "aws:iam/rolePolicy:RolePolicy", "t-flow-logs")).policy);
    expect(policy.Statement[0].Resource).toEqual([fl.logDestination, `${fl.logDestination}:*`]);
  });
});

describe("Vpc: critical tier with isolated subnets and its own range", () => {
  const spec = specFor("critical", { network: { vpcCidr: "10.30.0.0/16", isolatedSubnets: true } });
  let rec: Awaited<ReturnType<typeof recordProgram>>;
  beforeAll(async () => {
    rec = await recordProgram(() => new Vpc("t", vpcArgsOf(spec)));
  });

  test("isolated subnets share one route table with no route out; the others are where the plan puts them", () => {
    expect(rec.errors).toEqual([]);
    expect([0, 1, 2].map((i) => inputs(named(rec, SUBNET, `t-isolated-${i}`)).cidrBlock)).toEqual([
      "10.30.160.0/21",
      "10.30.168.0/21",
      "10.30.176.0/21",
    ]);
    expect([0, 1, 2].map((i) => inputs(named(rec, SUBNET, `t-private-${i}`)).cidrBlock)).toEqual([
      "10.30.0.0/19",
      "10.30.32.0/19",
      "10.30.64.0/19",
    ]);
    const iso = named(rec, RT, "t-isolated");
    expect(ofType(rec, ROUTE).filter((r) => inputs(r).routeTableId === iso.id)).toEqual([]);
    expect(inputs(named(rec, ENDPOINT, "t-vpce-s3")).routeTableIds).toContain(iso.id);
  });
});

describe("Vpc: narrow arguments (a network, the AZs, a region, a name and tags; no ClusterSpec)", () => {
  test("built from plain args with the documented defaults: NAT per AZ, no interface endpoints, no flow logs", async () => {
    let v: Vpc | undefined;
    const rec = await recordProgram(() => {
      v = new Vpc("n", {
        clusterName: "plain",
        region: "eu-west-1",
        availabilityZones: AZS3.slice(0, 2),
        network: { vpcCidr: "10.8.0.0/16" },
        tags: { team: "net" },
      });
    });
    expect(rec.errors).toEqual([]);
    expect(ofType(rec, NAT).map((n) => n.name)).toEqual(["n-nat-0", "n-nat-1"]);
    expect(ofType(rec, ENDPOINT).map((e) => e.name)).toEqual(["n-vpce-s3"]);
    expect(ofType(rec, "aws:ec2/flowLog:FlowLog")).toEqual([]);
    expect(
      ofType(rec, SUBNET)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["n-private-0", "n-private-1", "n-public-0", "n-public-1"]);
    expect(inputs(named(rec, "aws:ec2/vpc:Vpc", "n-vpc")).tags).toEqual({
      team: "net",
      "pulumi-kubeadm-aws:cluster": "plain",
      "kubernetes.io/cluster/plain": "owned",
      Name: "plain-vpc",
    });
    // Every field is the built network's: no mode in which plan or NAT addresses are missing.
    expect(v!.plan.private.map((s) => s.cidr)).toEqual(["10.8.0.0/19", "10.8.32.0/19"]);
    expect(v!.natPublicIps).toHaveLength(2);
    expect(v!.privateRouteTableIds).toHaveLength(2);
    expect("existing" in v!).toBe(false);
  });

  test("flow logs: retention and keep-on-delete are arguments (default 30 days, not kept)", async () => {
    const rec = await recordProgram(
      () =>
        new Vpc("n", {
          clusterName: "plain",
          region: "eu-west-1",
          availabilityZones: AZS3,
          network: { vpcCidr: "10.8.0.0/16", flowLogs: true },
        }),
    );
    const group = named(rec, "aws:cloudwatch/logGroup:LogGroup", "n-flow-logs");
    expect([inputs(group).retentionInDays, group.retainOnDelete]).toEqual([30, false]);
    const kept = await recordProgram(
      () =>
        new Vpc("n", {
          clusterName: "plain",
          region: "eu-west-1",
          availabilityZones: AZS3,
          network: { vpcCidr: "10.8.0.0/16", flowLogs: true },
          retainFlowLogsOnDelete: true,
          flowLogRetentionDays: 7,
        }),
    );
    const g = named(kept, "aws:cloudwatch/logGroup:LogGroup", "n-flow-logs");
    expect([inputs(g).retentionInDays, g.retainOnDelete]).toEqual([7, true]);
  });
});
