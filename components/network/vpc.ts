/**
 * Vpc: the cluster's network across its pinned AZs, from the pure plan in plan.ts. Public subnets
 * (load balancers, NAT, bastion) and private subnets (every node) per AZ, optional isolated subnets;
 * NAT per AZ or a single one; the S3 gateway endpoint always, interface endpoints and flow logs as
 * the spec asks. With `spec.network.existing` it creates nothing and gives the same outputs for the
 * existing VPC, after checking with AWS that its subnets are where the cluster expects them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, ExistingVpcSpec } from "../config/spec";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { existingVpcProblems, observedSubnetProblems } from "./existing";
import { planSubnets, type SubnetPlan } from "./plan";
import { flowLogsTrustPolicy, flowLogsWritePolicy } from "./policies";

export interface VpcArgs {
  /** The resolved cluster spec: name, region, pinned AZs, `network` (range, NAT strategy, endpoints, flow logs, existing VPC), tags. Required. */
  spec: ClusterSpec;
  /** Days the flow logs are kept in CloudWatch Logs. @default 30 */
  flowLogRetentionDays?: number;
}

export class Vpc extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: pulumi.Output<string>;
  /** One per AZ, in `availabilityZones` order. */
  readonly publicSubnetIds: pulumi.Output<string>[];
  /** One per AZ, in `availabilityZones` order. */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** One per AZ when isolated subnets were asked for; otherwise empty. */
  readonly isolatedSubnetIds: pulumi.Output<string>[];
  readonly availabilityZones: string[];
  /** The subnet plan; undefined for an existing VPC (its layout is not ours). */
  readonly plan?: SubnetPlan;
  /** Public addresses of the NAT gateways (empty for an existing VPC). */
  readonly natPublicIps: pulumi.Output<string>[];
  /** Route tables of the private subnets, one per AZ (empty for an existing VPC). */
  readonly privateRouteTableIds: pulumi.Output<string>[];
  /** The interface endpoints' group (443 from the VPC); undefined when none are created. */
  readonly endpointSecurityGroupId?: pulumi.Output<string>;
  /** Whether this is an existing VPC. */
  readonly existing: boolean;

  constructor(name: string, args: VpcArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("network", "Vpc"), name, {}, opts);
    const { spec } = args;
    this.availabilityZones = [...spec.availabilityZones];
    const existing = spec.network.existing;
    this.existing = existing !== undefined;
    if (existing) {
      const ids = this.useExisting(existing, spec);
      this.vpcId = pulumi.output(existing.vpcId);
      this.vpcCidr = pulumi.output(spec.network.vpcCidr);
      this.publicSubnetIds = ids.public;
      this.privateSubnetIds = ids.private;
      this.isolatedSubnetIds = [];
      this.natPublicIps = [];
      this.privateRouteTableIds = [];
    } else {
      const built = this.build(name, spec, args.flowLogRetentionDays ?? 30);
      this.vpcId = built.vpcId;
      this.vpcCidr = built.vpcCidr;
      this.publicSubnetIds = built.publicSubnetIds;
      this.privateSubnetIds = built.privateSubnetIds;
      this.isolatedSubnetIds = built.isolatedSubnetIds;
      this.natPublicIps = built.natPublicIps;
      this.privateRouteTableIds = built.privateRouteTableIds;
      this.plan = built.plan;
      this.endpointSecurityGroupId = built.endpointSecurityGroupId;
    }
    this.registerOutputs({
      vpcId: this.vpcId, vpcCidr: this.vpcCidr, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds, availabilityZones: this.availabilityZones, plan: this.plan, natPublicIps: this.natPublicIps,
    });
  }

  private useExisting(existing: ExistingVpcSpec, spec: ClusterSpec): { public: pulumi.Output<string>[]; private: pulumi.Output<string>[] } {
    const azs = spec.availabilityZones;
    const problems = existingVpcProblems(existing, azs);
    if (problems.length > 0) throw new Error(`network.existing: ${problems.join("; ")}`);
    // One check over every subnet, in one apply: a misplaced layout is reported once, with all its
    // problems, and every subnet-id output waits for it, so nothing is placed in a wrong subnet.
    const observe = (ids: string[]) => ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }));
    const checked = pulumi.all([pulumi.all(observe(existing.publicSubnetIds)), pulumi.all(observe(existing.privateSubnetIds))]).apply(([pub, priv]) => {
      const plain = (list: typeof pub) => list.map((s) => ({ id: s.id, vpcId: s.vpcId, availabilityZone: s.availabilityZone, cidrBlock: s.cidrBlock }));
      const p = [
        ...observedSubnetProblems("publicSubnetIds", plain(pub), existing.vpcId, spec.network.vpcCidr, azs),
        ...observedSubnetProblems("privateSubnetIds", plain(priv), existing.vpcId, spec.network.vpcCidr, azs),
      ];
      if (p.length > 0) throw new Error(`network.existing: the subnets do not match the cluster's layout: ${p.join("; ")}`);
      return true;
    });
    const gated = (ids: string[]) => ids.map((id) => checked.apply(() => id));
    return { public: gated(existing.publicSubnetIds), private: gated(existing.privateSubnetIds) };
  }

  private build(name: string, spec: ClusterSpec, retentionDays: number) {
    const net = spec.network;
    const plan = planSubnets({ vpcCidr: net.vpcCidr, availabilityZones: spec.availabilityZones, isolated: net.isolatedSubnets });
    const tags = (n: string, extra: Record<string, string> = {}) => clusterTags(spec.name, { ...spec.tags, ...extra }, n);
    const p = { parent: this };

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: plan.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true, tags: tags(`${spec.name}-vpc`),
    }, p);
    // Strip the default group's allow rules: every group in the VPC is explicit.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tags(`${spec.name}-default-deny`) }, p);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags(`${spec.name}-igw`) }, p);

    const subnets = (kind: "public" | "private" | "isolated", extra: Record<string, string>) =>
      plan[kind].map((s) => new aws.ec2.Subnet(`${name}-${kind}-${s.azIndex}`, {
        vpcId: vpc.id,
        cidrBlock: s.cidr,
        availabilityZone: s.availabilityZone,
        // Nothing gets a public address by default; the bastion asks for one itself.
        mapPublicIpOnLaunch: false,
        tags: tags(`${spec.name}-${kind}-${s.availabilityZone}`, extra),
      }, p));
    const publicSubnets = subnets("public", { "kubernetes.io/role/elb": "1" });
    const privateSubnets = subnets("private", { "kubernetes.io/role/internal-elb": "1" });
    const isolatedSubnets = subnets("isolated", {});

    const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: tags(`${spec.name}-public`) }, p);
    new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, p);
    publicSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: s.id, routeTableId: publicRt.id }, p));

    // NAT: one per AZ, or a single one in the first AZ. Private route tables are per AZ either way,
    // so switching strategy changes routes, never tables or subnets.
    const natCount = net.natStrategy === "per-az" ? publicSubnets.length : 1;
    const nats = publicSubnets.slice(0, natCount).map((s, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tags(`${spec.name}-nat-${spec.availabilityZones[i]}`) }, p);
      const nat = new aws.ec2.NatGateway(`${name}-nat-${i}`, {
        allocationId: eip.id, subnetId: s.id, connectivityType: "public", tags: tags(`${spec.name}-nat-${spec.availabilityZones[i]}`),
      }, { parent: this, dependsOn: [igw] });
      return { eip, nat };
    });
    const privateRts = privateSubnets.map((s, i) => {
      const az = spec.availabilityZones[i]!;
      const rt = new aws.ec2.RouteTable(`${name}-private-${i}`, { vpcId: vpc.id, tags: tags(`${spec.name}-private-${az}`) }, p);
      const nat = nats[net.natStrategy === "per-az" ? i : 0]!.nat;
      new aws.ec2.Route(`${name}-private-${i}-default`, { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id }, p);
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: s.id, routeTableId: rt.id }, p);
      return rt;
    });
    let isolatedRt: aws.ec2.RouteTable | undefined;
    if (isolatedSubnets.length > 0) {
      isolatedRt = new aws.ec2.RouteTable(`${name}-isolated`, { vpcId: vpc.id, tags: tags(`${spec.name}-isolated`) }, p);
      isolatedSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-isolated-${i}`, { subnetId: s.id, routeTableId: isolatedRt!.id }, p));
    }

    // S3 gateway endpoint, always: images, snapshots and bootstrap files never need the internet.
    new aws.ec2.VpcEndpoint(`${name}-vpce-s3`, {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${spec.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [publicRt.id, ...privateRts.map((rt) => rt.id), ...(isolatedRt ? [isolatedRt.id] : [])],
      tags: tags(`${spec.name}-s3`),
    }, p);

    let endpointSecurityGroupId: pulumi.Output<string> | undefined;
    if (net.interfaceEndpoints.length > 0) {
      const sg = new aws.ec2.SecurityGroup(`${name}-endpoints`, {
        name: `${spec.name}-vpc-endpoints`,
        description: `${spec.name}: VPC interface endpoints (HTTPS from the VPC)`,
        vpcId: vpc.id,
        revokeRulesOnDelete: true,
        tags: tags(`${spec.name}-vpc-endpoints`),
      }, p);
      new aws.vpc.SecurityGroupIngressRule(`${name}-endpoints-in-vpc-tcp-443`, {
        securityGroupId: sg.id, cidrIpv4: plan.vpcCidr, ipProtocol: "tcp", fromPort: 443, toPort: 443,
        description: "HTTPS to AWS APIs from the VPC", tags: tags(`${spec.name}-endpoints-in-vpc-tcp-443`),
      }, p);
      endpointSecurityGroupId = sg.id;
      for (const service of net.interfaceEndpoints) {
        new aws.ec2.VpcEndpoint(`${name}-vpce-${service.replace(/\./g, "-")}`, {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${spec.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: privateSubnets.map((s) => s.id),
          securityGroupIds: [sg.id],
          tags: tags(`${spec.name}-${service}`),
        }, p);
      }
    }

    if (net.flowLogs) this.flowLogs(name, spec, vpc, retentionDays);

    return {
      vpcId: vpc.id,
      vpcCidr: vpc.cidrBlock.apply((c) => c ?? plan.vpcCidr),
      publicSubnetIds: publicSubnets.map((s) => s.id),
      privateSubnetIds: privateSubnets.map((s) => s.id),
      isolatedSubnetIds: isolatedSubnets.map((s) => s.id),
      natPublicIps: nats.map(({ eip }) => eip.publicIp),
      privateRouteTableIds: privateRts.map((rt) => rt.id),
      plan,
      endpointSecurityGroupId,
    };
  }

  private flowLogs(name: string, spec: ClusterSpec, vpc: aws.ec2.Vpc, retentionDays: number): void {
    const tags = clusterTags(spec.name, spec.tags, `${spec.name}-flow-logs`);
    const keep = { parent: this, retainOnDelete: spec.deletionProtection };
    const group = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, { name: `/aws/vpc-flow-logs/${spec.name}`, retentionInDays: retentionDays, tags }, keep);
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const role = new aws.iam.Role(`${name}-flow-logs`, {
      assumeRolePolicy: pulumi.all([account.accountId, partition.partition]).apply(([a, part]) => flowLogsTrustPolicy(a, spec.region, part)),
      description: `${spec.name}: VPC flow logs to CloudWatch Logs`,
      tags,
    }, { parent: this });
    new aws.iam.RolePolicy(`${name}-flow-logs`, { role: role.id, policy: group.arn.apply(flowLogsWritePolicy) }, { parent: this });
    new aws.ec2.FlowLog(`${name}-flow-logs`, {
      vpcId: vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags,
    }, { parent: this });
  }
}
