/**
 * Vpc: the cluster's network across its pinned AZs, from the pure plan in plan.ts. Public subnets
 * (load balancers, NAT, bastion) and private subnets (every node) per AZ, optional isolated subnets;
 * NAT per AZ or a single one; the S3 gateway endpoint always, interface endpoints and flow logs as
 * asked. It takes only what it reads (a network, the AZs, the region, a name and tags), not a
 * ClusterSpec. A VPC that exists already is not a Vpc: see `existingNetwork` (environment/existing-network.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { InterfaceEndpointService, NatStrategy } from "../spec/spec";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { planSubnets, type SubnetPlan } from "./plan";
import { flowLogsTrustPolicy, flowLogsWritePolicy } from "./policies";

/** What a Vpc builds: the fields of a ClusterSpec's `network` it reads (a resolved `NetworkSpec` is one). */
export interface VpcNetwork {
  /** The VPC range, /16../22 (see plan.ts for how it is cut). Required. */
  vpcCidr: string;
  /** `per-az`: a NAT gateway in each AZ; `single`: one, in the first AZ, for every AZ. @default "per-az" */
  natStrategy?: NatStrategy;
  /** Isolated subnets too (no route out). @default false */
  isolatedSubnets?: boolean;
  /** Interface endpoints (private DNS, in the private subnets); the S3 gateway endpoint is always made. @default [] */
  interfaceEndpoints?: readonly InterfaceEndpointService[];
  /** VPC flow logs (ALL traffic) to CloudWatch Logs. @default false */
  flowLogs?: boolean;
}

export interface VpcArgs {
  /** The name in AWS names and Name tags (`<clusterName>-vpc`, `/aws/vpc-flow-logs/<clusterName>`) and in the cluster tag. Required. */
  clusterName: string;
  /** The AWS region (endpoint service names, the flow-logs trust policy). Required. */
  region: string;
  /** The AZs, in order: subnet `i` of each kind is in `availabilityZones[i]` (1..4). Required. */
  availabilityZones: readonly string[];
  /** The network to build. Required. */
  network: VpcNetwork;
  /** Tags on every taggable resource (the cluster tag and Name are added). @default {} */
  tags?: Record<string, string>;
  /** Keep the flow-log group (and its logs) when the Vpc is deleted: a ClusterSpec's `deletionProtection`. @default false */
  retainFlowLogsOnDelete?: boolean;
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
  /** The subnet plan the subnets were made from. */
  readonly plan: SubnetPlan;
  /** Public addresses of the NAT gateways, one per AZ (`per-az`) or one (`single`). */
  readonly natPublicIps: pulumi.Output<string>[];
  /** Route tables of the private subnets, one per AZ. */
  readonly privateRouteTableIds: pulumi.Output<string>[];
  /** The interface endpoints' group (443 from the VPC); undefined when no interface endpoint is asked for. */
  readonly endpointSecurityGroupId?: pulumi.Output<string>;

  constructor(name: string, args: VpcArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("network", "Vpc"), name, {}, opts);
    this.availabilityZones = [...args.availabilityZones];
    const built = this.build(name, args);
    this.vpcId = built.vpcId;
    this.vpcCidr = built.vpcCidr;
    this.publicSubnetIds = built.publicSubnetIds;
    this.privateSubnetIds = built.privateSubnetIds;
    this.isolatedSubnetIds = built.isolatedSubnetIds;
    this.natPublicIps = built.natPublicIps;
    this.privateRouteTableIds = built.privateRouteTableIds;
    this.plan = built.plan;
    this.endpointSecurityGroupId = built.endpointSecurityGroupId;
    this.registerOutputs({
      vpcId: this.vpcId,
      vpcCidr: this.vpcCidr,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds,
      availabilityZones: this.availabilityZones,
      plan: this.plan,
      natPublicIps: this.natPublicIps,
    });
  }

  private build(name: string, args: VpcArgs) {
    const net = args.network;
    const natStrategy = net.natStrategy ?? "per-az";
    const interfaceEndpoints = net.interfaceEndpoints ?? [];
    const azs = this.availabilityZones;
    const cluster = args.clusterName;
    const region = args.region;
    const plan = planSubnets({ vpcCidr: net.vpcCidr, availabilityZones: azs, isolated: net.isolatedSubnets ?? false });
    const tags = (n: string, extra: Record<string, string> = {}) => clusterTags(cluster, { ...(args.tags ?? {}), ...extra }, n);
    const p = { parent: this };

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: plan.vpcCidr,
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: tags(`${cluster}-vpc`),
      },
      p,
    );
    // Strip the default group's allow rules: every group in the VPC is explicit.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tags(`${cluster}-default-deny`) }, p);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags(`${cluster}-igw`) }, p);

    const subnets = (kind: "public" | "private" | "isolated", extra: Record<string, string>) =>
      plan[kind].map(
        (s) =>
          new aws.ec2.Subnet(
            `${name}-${kind}-${s.azIndex}`,
            {
              vpcId: vpc.id,
              cidrBlock: s.cidr,
              availabilityZone: s.availabilityZone,
              // Nothing gets a public address by default; the bastion asks for one itself.
              mapPublicIpOnLaunch: false,
              tags: tags(`${cluster}-${kind}-${s.availabilityZone}`, extra),
            },
            p,
          ),
      );
    const publicSubnets = subnets("public", { "kubernetes.io/role/elb": "1" });
    const privateSubnets = subnets("private", { "kubernetes.io/role/internal-elb": "1" });
    const isolatedSubnets = subnets("isolated", {});

    const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: tags(`${cluster}-public`) }, p);
    new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, p);
    publicSubnets.forEach(
      (s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: s.id, routeTableId: publicRt.id }, p),
    );

    // NAT: one per AZ, or a single one in the first AZ. Private route tables are per AZ either way,
    // so switching strategy changes routes, never tables or subnets.
    const natCount = natStrategy === "per-az" ? publicSubnets.length : 1;
    const nats = publicSubnets.slice(0, natCount).map((s, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tags(`${cluster}-nat-${azs[i]}`) }, p);
      const nat = new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        {
          allocationId: eip.id,
          subnetId: s.id,
          connectivityType: "public",
          tags: tags(`${cluster}-nat-${azs[i]}`),
        },
        { parent: this, dependsOn: [igw] },
      );
      return { eip, nat };
    });
    const privateRts = privateSubnets.map((s, i) => {
      const az = azs[i]!;
      const rt = new aws.ec2.RouteTable(`${name}-private-${i}`, { vpcId: vpc.id, tags: tags(`${cluster}-private-${az}`) }, p);
      const nat = nats[natStrategy === "per-az" ? i : 0]!.nat;
      new aws.ec2.Route(
        `${name}-private-${i}-default`,
        { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id },
        p,
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: s.id, routeTableId: rt.id }, p);
      return rt;
    });
    let isolatedRt: aws.ec2.RouteTable | undefined;
    if (isolatedSubnets.length > 0) {
      isolatedRt = new aws.ec2.RouteTable(`${name}-isolated`, { vpcId: vpc.id, tags: tags(`${cluster}-isolated`) }, p);
      isolatedSubnets.forEach(
        (s, i) => new aws.ec2.RouteTableAssociation(`${name}-isolated-${i}`, { subnetId: s.id, routeTableId: isolatedRt!.id }, p),
      );
    }

    // S3 gateway endpoint, always: images, snapshots and bootstrap files never need the internet.
    new aws.ec2.VpcEndpoint(
      `${name}-vpce-s3`,
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [publicRt.id, ...privateRts.map((rt) => rt.id), ...(isolatedRt ? [isolatedRt.id] : [])],
        tags: tags(`${cluster}-s3`),
      },
      p,
    );

    let endpointSecurityGroupId: pulumi.Output<string> | undefined;
    if (interfaceEndpoints.length > 0) {
      const sg = new aws.ec2.SecurityGroup(
        `${name}-endpoints`,
        {
          name: `${cluster}-vpc-endpoints`,
          description: `${cluster}: VPC interface endpoints (HTTPS from the VPC)`,
          vpcId: vpc.id,
          revokeRulesOnDelete: true,
          tags: tags(`${cluster}-vpc-endpoints`),
        },
        p,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-endpoints-in-vpc-tcp-443`,
        {
          securityGroupId: sg.id,
          cidrIpv4: plan.vpcCidr,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: "HTTPS to AWS APIs from the VPC",
          tags: tags(`${cluster}-endpoints-in-vpc-tcp-443`),
        },
        p,
      );
      endpointSecurityGroupId = sg.id;
      for (const service of interfaceEndpoints) {
        new aws.ec2.VpcEndpoint(
          `${name}-vpce-${service.replace(/\./g, "-")}`,
          {
            vpcId: vpc.id,
            serviceName: `com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: privateSubnets.map((s) => s.id),
            securityGroupIds: [sg.id],
            tags: tags(`${cluster}-${service}`),
          },
          p,
        );
      }
    }

    if (net.flowLogs) this.flowLogs(name, args, vpc);

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

  private flowLogs(name: string, args: VpcArgs, vpc: aws.ec2.Vpc): void {
    const { clusterName: cluster, region } = args;
    const tags = clusterTags(cluster, args.tags ?? {}, `${cluster}-flow-logs`);
    const keep = { parent: this, retainOnDelete: args.retainFlowLogsOnDelete ?? false };
    const group = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      {
        name: `/aws/vpc-flow-logs/${cluster}`,
        retentionInDays: args.flowLogRetentionDays ?? 30,
        tags,
      },
      keep,
    );
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const role = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: pulumi.all([account.accountId, partition.partition]).apply(([a, part]) => flowLogsTrustPolicy(a, region, part)),
        description: `${cluster}: VPC flow logs to CloudWatch Logs`,
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(`${name}-flow-logs`, { role: role.id, policy: group.arn.apply(flowLogsWritePolicy) }, { parent: this });
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: group.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 60,
        tags,
      },
      { parent: this },
    );
  }
}
