import { CCM_CREATE_ACTIONS, CCM_DESCRIBE_ACTIONS, cloudControllerManagerPolicy } from "../../components/control-plane";

/** A small IAM evaluator for the statements we write: Allow only, Action lists, StringEquals conditions. */
function allows(
  doc: ReturnType<typeof cloudControllerManagerPolicy>,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): boolean {
  return doc.Statement.some((s) => {
    if (s.Effect !== "Allow" || !s.Action.includes(action)) return false;
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    const match = resources.some((r) =>
      new RegExp(
        `^${r
          .split("*")
          .map((x) => x.replace(/[.?+^$[\]\\(){}|-]/g, "\\$&"))
          .join(".*")}$`,
      ).test(resource),
    );
    if (!match) return false;
    for (const [op, kv] of Object.entries(s.Condition ?? {})) {
      if (op !== "StringEquals") return false;
      for (const [k, v] of Object.entries(kv)) if (context[k] !== v) return false;
    }
    return true;
  });
}

describe("cloud controller manager policy", () => {
  const doc = cloudControllerManagerPolicy("prod", "eu-west-1");
  const sg = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1";

  test("is valid policy JSON: version, unique Sids, no wildcard action", () => {
    expect(doc.Version).toBe("2012-10-17");
    const sids = doc.Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const s of doc.Statement) for (const a of s.Action) expect(a).toMatch(/^(ec2|elasticloadbalancing|iam):[A-Z][A-Za-z]+$/);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  test("describes and creates what a LoadBalancer Service needs", () => {
    for (const a of CCM_DESCRIBE_ACTIONS) expect(allows(doc, a, "*")).toBe(true);
    for (const a of CCM_CREATE_ACTIONS) expect(allows(doc, a, "*", { "aws:RequestedRegion": "eu-west-1" })).toBe(true);
    expect(allows(doc, "elasticloadbalancing:CreateLoadBalancer", "*", { "aws:RequestedRegion": "us-east-1" })).toBe(false);
    expect(allows(doc, "ec2:CreateTags", sg)).toBe(true);
    expect(allows(doc, "ec2:CreateTags", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1")).toBe(false);
  });

  test("changes and deletes only what carries this cluster's ownership tag", () => {
    expect(allows(doc, "ec2:AuthorizeSecurityGroupIngress", sg, { "ec2:ResourceTag/kubernetes.io/cluster/prod": "owned" })).toBe(true);
    expect(allows(doc, "ec2:AuthorizeSecurityGroupIngress", sg, { "ec2:ResourceTag/kubernetes.io/cluster/other": "owned" })).toBe(false);
    expect(allows(doc, "ec2:DeleteSecurityGroup", sg)).toBe(false);
    expect(allows(doc, "elasticloadbalancing:DeleteLoadBalancer", "*", { "aws:ResourceTag/kubernetes.io/cluster/prod": "owned" })).toBe(
      true,
    );
    expect(allows(doc, "elasticloadbalancing:DeleteLoadBalancer", "*")).toBe(false);
    expect(allows(doc, "elasticloadbalancing:RegisterTargets", "*", { "aws:ResourceTag/kubernetes.io/cluster/staging": "owned" })).toBe(
      false,
    );
  });

  test("grants nothing beyond the CCM: no volumes, routes, instances, secrets, IAM roles", () => {
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
    ]) {
      expect(
        allows(doc, a, "*", {
          "aws:RequestedRegion": "eu-west-1",
          "ec2:ResourceTag/kubernetes.io/cluster/prod": "owned",
          "aws:ResourceTag/kubernetes.io/cluster/prod": "owned",
        }),
      ).toBe(false);
    }
    expect(allows(doc, "iam:CreateServiceLinkedRole", "*", { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" })).toBe(true);
    expect(allows(doc, "iam:CreateServiceLinkedRole", "*", { "iam:AWSServiceName": "autoscaling.amazonaws.com" })).toBe(false);
  });
});
