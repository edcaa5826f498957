/**
 * ApiEndpoint: the Kubernetes API's front door. A network load balancer (internet-facing in the
 * public subnets, or internal in the private subnets) with a security group that enforces the client
 * allowlist; listener TCP 6443 to a target group TCP 6443 health-checked with HTTPS /readyz; and the
 * stable name `api.<cluster>.<domain>` in the private zone (optionally in a public zone too), aliased
 * to the load balancer. The control plane registers its instances in `targetGroupArn`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../spec/spec";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { PORTS } from "../core/ports";
import { API_HEALTH_CHECK, apiLoadBalancerNames, apiName } from "./settings";

/** The parts of a ClusterSpec the API endpoint uses (a whole ClusterSpec will do). */
export type ApiEndpointSpec = Pick<ClusterSpec, "name" | "tags" | "api" | "deletionProtection">;

export interface ApiEndpointArgs {
  /** What it reads of the cluster spec: name, tags, `api` (exposure, domain, allowlist, public zone), deletionProtection. Required. */
  spec: ApiEndpointSpec;
  /** The VPC of the target group. Required. */
  vpcId: pulumi.Input<string>;
  /** Public subnets, one per AZ (used when `spec.api.exposure` is public). Required. */
  publicSubnetIds: pulumi.Input<string>[];
  /** Private subnets, one per AZ (used when `spec.api.exposure` is private). Required. */
  privateSubnetIds: pulumi.Input<string>[];
  /** The API load balancer's security group (it carries the client allowlist; see ClusterSecurityGroups). Required. */
  securityGroupId: pulumi.Input<string>;
  /** The private hosted zone for `spec.api.domain`, associated with the VPC. Required. */
  privateZoneId: pulumi.Input<string>;
  /** A public zone to publish the same name in. @default spec.api.publicZoneId (none) */
  publicZoneId?: pulumi.Input<string>;
}

export class ApiEndpoint extends pulumi.ComponentResource {
  /** `api.<cluster>.<domain>`: the name kubeadm and the API certificate use (plain, known at plan time). */
  readonly apiName: string;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly loadBalancerArn: pulumi.Output<string>;
  readonly loadBalancerDnsName: pulumi.Output<string>;
  readonly loadBalancerZoneId: pulumi.Output<string>;

  constructor(name: string, args: ApiEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("api-endpoint", "ApiEndpoint"), name, {}, opts);
    const { spec } = args;
    const p = { parent: this };
    const internal = spec.api.exposure === "private";
    const names = apiLoadBalancerNames(spec.name);
    const tags = (n: string) => clusterTags(spec.name, spec.tags, n);
    const publicZoneId = args.publicZoneId ?? spec.api.publicZoneId;
    if (publicZoneId !== undefined && internal) throw new Error("ApiEndpoint: a public record needs api.exposure: public");
    if (!internal && spec.api.allowedCidrs.length === 0) {
      throw new Error("ApiEndpoint: an internet-facing API endpoint needs api.allowedCidrs (enforced by its security group)");
    }

    const lb = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        name: names.loadBalancer,
        loadBalancerType: "network",
        internal,
        ipAddressType: "ipv4",
        subnets: internal ? args.privateSubnetIds : args.publicSubnetIds,
        securityGroups: [args.securityGroupId],
        enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "on",
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: spec.deletionProtection,
        tags: tags(names.loadBalancer),
      },
      p,
    );

    const tg = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        name: names.targetGroup,
        port: PORTS.api,
        protocol: "TCP",
        targetType: "instance",
        vpcId: args.vpcId,
        // Without client IP preservation a control-plane node can reach the API through the load
        // balancer even when it is the chosen target (no hairpin drop), and targets see the load
        // balancer's address, which their security group admits by group.
        preserveClientIp: "false",
        // Open watches on a deregistered control-plane node are closed so that clients reconnect elsewhere.
        connectionTermination: true,
        deregistrationDelay: 30,
        healthCheck: { ...API_HEALTH_CHECK },
        tags: tags(names.targetGroup),
      },
      p,
    );

    new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: lb.arn,
        port: PORTS.api,
        protocol: "TCP",
        defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
        tags: tags(`${spec.name}-api-${PORTS.api}`),
      },
      p,
    );

    this.apiName = apiName(spec.name, spec.api.domain);
    // Target health is not evaluated: the name must resolve while the first control plane boots.
    const alias = { name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: false };
    new aws.route53.Record(`${name}-private`, { zoneId: args.privateZoneId, name: this.apiName, type: "A", aliases: [alias] }, p);
    if (publicZoneId !== undefined) {
      new aws.route53.Record(`${name}-public`, { zoneId: publicZoneId, name: this.apiName, type: "A", aliases: [alias] }, p);
    }

    this.targetGroupArn = tg.arn;
    this.loadBalancerArn = lb.arn;
    this.loadBalancerDnsName = lb.dnsName;
    this.loadBalancerZoneId = lb.zoneId;
    this.registerOutputs({
      apiName: this.apiName,
      targetGroupArn: this.targetGroupArn,
      loadBalancerArn: this.loadBalancerArn,
      loadBalancerDnsName: this.loadBalancerDnsName,
    });
  }
}
