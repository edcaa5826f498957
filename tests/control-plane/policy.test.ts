/**
 * The cloud controller manager's policy, judged by the project's IAM evaluator (components/iam/evaluate.ts:
 * explicit Deny wins, conditions as IAM reads them): it may serve LoadBalancer Services, and reach nothing the
 * library created, though the library tags those with the same ownership tag the CCM relies on.
 */
import {
  CCM_CREATE_ACTIONS,
  CCM_DESCRIBE_ACTIONS,
  CCM_OWNED_ELB_ACTIONS,
  cloudControllerManagerPolicy,
} from "../../components/control-plane";
import { clusterTags } from "../../components/core/tags";
import { iamAllows } from "../../components/iam/evaluate";
import type { PolicyDocument } from "../../components/iam/policy";

const doc = cloudControllerManagerPolicy("prod", "eu-west-1");
const may = (action: string, resource: string, ctx: Record<string, string> = {}) =>
  iamAllows([doc as unknown as PolicyDocument], action, resource, ctx);
const sg = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1";
const lb = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/x/1";
/** A resource's tags as request context (`<prefix>:ResourceTag/<key>`). */
const tagged = (prefix: "ec2" | "aws", tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`${prefix}:ResourceTag/${k}`, v]));
/** What the CCM puts on a Service's load balancer and security group. */
const ccmTags = { "kubernetes.io/cluster/prod": "owned", "kubernetes.io/service-name": "default/web" };
/** What the library puts on the API load balancer, its target group and the cluster's security groups. */
const libraryTags = clusterTags("prod", {}, "prod-api");

test("is valid policy JSON: version, unique Sids, no wildcard action", () => {
  expect(doc.Version).toBe("2012-10-17");
  const sids = doc.Statement.map((s) => s.Sid);
  expect(new Set(sids).size).toBe(sids.length);
  for (const s of doc.Statement) for (const a of s.Action) expect(a).toMatch(/^(ec2|elasticloadbalancing|iam):[A-Z][A-Za-z]+$/);
  expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
});

test("describes and creates what a LoadBalancer Service needs, in the cluster's region", () => {
  for (const a of CCM_DESCRIBE_ACTIONS) expect(may(a, "*")).toBe(true);
  for (const a of CCM_CREATE_ACTIONS) expect(may(a, "*", { "aws:RequestedRegion": "eu-west-1" })).toBe(true);
  expect(may("elasticloadbalancing:CreateLoadBalancer", "*", { "aws:RequestedRegion": "us-east-1" })).toBe(false);
});

test("tags a security group only while creating it", () => {
  expect(may("ec2:CreateTags", sg, { "ec2:CreateAction": "CreateSecurityGroup" })).toBe(true);
  expect(may("ec2:CreateTags", sg)).toBe(false);
  expect(may("ec2:CreateTags", sg, { "ec2:CreateAction": "RunInstances" })).toBe(false);
  expect(may("ec2:CreateTags", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", { "ec2:CreateAction": "CreateSecurityGroup" })).toBe(
    false,
  );
});

test("changes and deletes what it created for this cluster", () => {
  expect(may("ec2:AuthorizeSecurityGroupIngress", sg, tagged("ec2", ccmTags))).toBe(true);
  expect(may("ec2:DeleteSecurityGroup", sg, tagged("ec2", ccmTags))).toBe(true);
  expect(may("elasticloadbalancing:DeleteLoadBalancer", lb, tagged("aws", ccmTags))).toBe(true);
  expect(may("elasticloadbalancing:RegisterTargets", lb, tagged("aws", ccmTags))).toBe(true);
  expect(may("ec2:AuthorizeSecurityGroupIngress", sg, tagged("ec2", { "kubernetes.io/cluster/other": "owned" }))).toBe(false);
  expect(may("ec2:DeleteSecurityGroup", sg)).toBe(false);
  expect(may("elasticloadbalancing:DeleteLoadBalancer", lb)).toBe(false);
});

test("cannot touch the API load balancer, its target group or the cluster's security groups, though they carry the ownership tag", () => {
  expect(libraryTags["kubernetes.io/cluster/prod"]).toBe("owned"); // the case the Deny is for
  for (const a of [...CCM_OWNED_ELB_ACTIONS, "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"])
    expect([a, may(a, lb, tagged("aws", libraryTags))]).toEqual([a, false]);
  expect(may("elasticloadbalancing:ModifyLoadBalancerAttributes", lb, tagged("aws", libraryTags))).toBe(false); // deletion protection
  for (const a of ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:DeleteTags"])
    expect([a, may(a, sg, tagged("ec2", libraryTags))]).toEqual([a, false]);
  expect(may("ec2:CreateTags", sg, { "ec2:CreateAction": "CreateSecurityGroup", ...tagged("ec2", libraryTags) })).toBe(false);
});

test("grants nothing beyond the CCM: no volumes, routes, instances, secrets, IAM roles", () => {
  const everything = { "aws:RequestedRegion": "eu-west-1", ...tagged("ec2", ccmTags), ...tagged("aws", ccmTags) };
  for (const a of [
    "ec2:CreateVolume",
    "ec2:AttachVolume",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:TerminateInstances",
    "ec2:RunInstances",
    "ec2:ModifyInstanceAttribute",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "iam:PassRole",
    "iam:CreateRole",
    "autoscaling:SetDesiredCapacity",
    "s3:GetObject",
  ])
    expect([a, may(a, "*", everything)]).toEqual([a, false]);
  expect(may("iam:CreateServiceLinkedRole", "*", { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" })).toBe(true);
  expect(may("iam:CreateServiceLinkedRole", "*", { "iam:AWSServiceName": "autoscaling.amazonaws.com" })).toBe(false);
});
