import { inputs, named, ofType, recordProgram, runPlan } from "../helpers/record";
import { ApiEndpoint } from "../../components/api-endpoint/api-endpoint";
import { apiLoadBalancerNames } from "../../components/api-endpoint/settings";
import { awsName } from "../../components/core/names";
import type { ClusterSpec } from "../../components/spec/spec";
import { specFor } from "../network/fixtures";

const PUB = ["subnet-0a000000000000000", "subnet-0a000000000000001", "subnet-0a000000000000002"];
const PRIV = ["subnet-0b000000000000000", "subnet-0b000000000000001", "subnet-0b000000000000002"];

async function record(spec: ClusterSpec) {
  let api!: ApiEndpoint;
  const rec = await recordProgram(() => {
    api = new ApiEndpoint("a", {
      spec,
      vpcId: "vpc-0123456789abcdef0",
      publicSubnetIds: PUB,
      privateSubnetIds: PRIV,
      securityGroupId: "sg-0api",
      privateZoneId: "ZPRIVATE",
    });
  });
  return { rec, api };
}

const HEALTH = {
  enabled: true,
  protocol: "HTTPS",
  port: "traffic-port",
  path: "/readyz",
  matcher: "200",
  interval: 10,
  timeout: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

describe("ApiEndpoint under mocks", () => {
  test("standard: internet-facing NLB in the public subnets behind the allowlist group, deletion-protected", async () => {
    const { rec, api } = await record(specFor("standard"));
    expect(rec.errors).toEqual([]);
    expect(inputs(named(rec, "aws:lb/loadBalancer:LoadBalancer", "a-nlb"))).toMatchObject({
      name: "t-standard-api",
      loadBalancerType: "network",
      internal: false,
      subnets: PUB,
      securityGroups: ["sg-0api"],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: true,
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "on",
    });
    expect(api.apiName).toBe("api.t-standard.kubeadm-aws.internal");
  });

  test("listener TCP 6443 forwards to a TCP 6443 target group health-checked with HTTPS /readyz", async () => {
    const { rec } = await record(specFor("standard"));
    const tg = named(rec, "aws:lb/targetGroup:TargetGroup", "a-tg");
    expect(inputs(tg)).toMatchObject({
      name: "t-standard-api-6443",
      port: 6443,
      protocol: "TCP",
      targetType: "instance",
      vpcId: "vpc-0123456789abcdef0",
      preserveClientIp: "false",
      connectionTermination: true,
      deregistrationDelay: 30,
      healthCheck: HEALTH,
    });
    const lb = named(rec, "aws:lb/loadBalancer:LoadBalancer", "a-nlb");
    expect(inputs(named(rec, "aws:lb/listener:Listener", "a-listener"))).toMatchObject({
      loadBalancerArn: lb.id,
      port: 6443,
      protocol: "TCP",
      defaultActions: [{ type: "forward", targetGroupArn: tg.id }],
    });
  });

  test("the private zone record api.<cluster>.<domain> aliases the load balancer; no public record by default", async () => {
    const { rec } = await record(specFor("standard", { api: { domain: "k8s.example.internal" } }));
    const records = ofType(rec, "aws:route53/record:Record");
    expect(records.map((r) => inputs(r))).toEqual([
      {
        zoneId: "ZPRIVATE",
        name: "api.t-standard.k8s.example.internal",
        type: "A",
        aliases: [
          {
            name: expect.stringMatching(/^t-standard-api-[0-9a-f]{16}\.elb\.eu-west-1\.amazonaws\.com$/),
            zoneId: "Z2IFOLAFXWLO4F",
            evaluateTargetHealth: false,
          },
        ],
      },
    ]);
  });

  test("dev: no deletion protection; a public zone id adds the same name there", async () => {
    const { rec } = await record(specFor("dev", { api: { publicZoneId: "ZPUBLIC123" } }));
    expect(rec.errors).toEqual([]);
    expect(inputs(named(rec, "aws:lb/loadBalancer:LoadBalancer", "a-nlb")).enableDeletionProtection).toBe(false);
    expect(ofType(rec, "aws:route53/record:Record").map((r) => [inputs(r).zoneId, inputs(r).name])).toEqual([
      ["ZPRIVATE", "api.t-dev.kubeadm-aws.internal"],
      ["ZPUBLIC123", "api.t-dev.kubeadm-aws.internal"],
    ]);
  });

  test("critical: internal NLB in the private subnets", async () => {
    const { rec } = await record(specFor("critical"));
    expect(rec.errors).toEqual([]);
    expect(inputs(named(rec, "aws:lb/loadBalancer:LoadBalancer", "a-nlb"))).toMatchObject({
      internal: true,
      subnets: PRIV,
      enableDeletionProtection: true,
    });
    expect(inputs(named(rec, "aws:route53/record:Record", "a-private")).aliases[0].name).toMatch(/^internal-t-critical-api-/);
  });

  test("an internet-facing endpoint without a client allowlist is refused", async () => {
    const spec = specFor("standard");
    spec.api.allowedCidrs = [];
    const { rec } = await record(spec);
    expect(rec.errors.join("\n")).toContain("an internet-facing API endpoint needs api.allowedCidrs");
    expect(ofType(rec, "aws:lb/loadBalancer:LoadBalancer")).toEqual([]);
  });

  test("load balancer and target group names fit 32 characters, deterministically", () => {
    expect(apiLoadBalancerNames("prod")).toEqual({ loadBalancer: "prod-api", targetGroup: "prod-api-6443" });
    const long = apiLoadBalancerNames("a-twenty-char-name-x"); // the longest cluster name config allows (20)
    expect(long.loadBalancer).toBe("a-twenty-char-name-x-api"); // 24: fits as is
    expect(long.targetGroup).toBe("a-twenty-char-name-x-api-6443"); // 29
    const hashed = awsName("a-very-long-cluster-name-for-tests-api-6443", 32);
    expect(hashed.length).toBeLessThanOrEqual(32);
    expect(hashed).toBe(awsName("a-very-long-cluster-name-for-tests-api-6443", 32));
    expect(awsName("a-very-long-cluster-name-for-tests-api-6444", 32)).not.toBe(hashed);
  });
});

describe("in the stacks' plans", () => {
  test.each(["dev", "staging", "prod"])("stack %s: only the bastion asks for a public IP; subnets never hand one out", async (stack) => {
    const r = await runPlan({ stack });
    expect(r.errors).toEqual([]);
    for (const s of r.resources.filter((x) => x.type === "aws:ec2/subnet:Subnet")) expect(inputs(s).mapPublicIpOnLaunch).toBe(false);
    const publicIp = r.resources.filter(
      (x) =>
        (x.type === "aws:ec2/launchTemplate:LaunchTemplate" &&
          (inputs(x).networkInterfaces ?? []).some((n: { associatePublicIpAddress?: string }) => n.associatePublicIpAddress === "true")) ||
        (x.type === "aws:ec2/instance:Instance" && inputs(x).associatePublicIpAddress === true),
    );
    expect(publicIp.map((x) => x.name)).toEqual([`${stack}-bastion-lt`]);
    const lb = r.resources.find((x) => x.type === "aws:lb/loadBalancer:LoadBalancer")!;
    expect(inputs(lb).internal).toBe(stack === "prod");
    const rec = r.resources.find((x) => x.type === "aws:route53/record:Record" && inputs(x).name.startsWith("api."))!;
    expect(inputs(rec).name).toBe(`api.${stack}.${stack === "prod" ? "k8s.example.internal" : "kubeadm-aws.internal"}`);
  });
});
