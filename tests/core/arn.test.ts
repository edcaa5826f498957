/** ARNs carry the region's partition; a policy with the wrong one matches nothing in that partition. */
import { arnOf, awsManagedPolicyArn, bucketArn, partitionOf } from "../../components/core/arn";
import { iamAllows } from "../../components/iam/evaluate";
import { instanceHealthPolicy } from "../../components/iam/policy";
import { cloudControllerManagerPolicy } from "../../components/control-plane/policy";

describe("partitions", () => {
  test.each([
    ["eu-west-1", "aws"],
    ["us-east-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["cn-northwest-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
    ["us-iso-east-1", "aws-iso"],
    ["us-isob-east-1", "aws-iso-b"],
  ])("%s is in %s", (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });

  test("regional, global and bucket ARNs", () => {
    expect(arnOf({ region: "cn-north-1", service: "ec2", resource: "security-group/*" })).toBe(
      "arn:aws-cn:ec2:cn-north-1:*:security-group/*",
    );
    expect(awsManagedPolicyArn("us-gov-west-1", "P")).toBe("arn:aws-us-gov:iam::aws:policy/P");
    expect(bucketArn("eu-west-1", "b")).toBe("arn:aws:s3:::b");
    expect(bucketArn("cn-north-1", "b")).toBe("arn:aws-cn:s3:::b");
  });
});

describe("policies in a China region match China's resources", () => {
  test("a worker marks its own group Unhealthy in cn-north-1 (and the aws-partition ARN of it would not be allowed)", () => {
    const doc = instanceHealthPolicy({ region: "cn-north-1", clusterName: "c", poolName: "general", groupName: "c-general" });
    const ctx = {
      "autoscaling:ResourceTag/kubernetes.io/cluster/c": "owned",
      "autoscaling:ResourceTag/pulumi-kubeadm-aws:node-pool": "general",
    };
    const group = (p: string) => `arn:${p}:autoscaling:cn-north-1:123456789012:autoScalingGroup:u-1:autoScalingGroupName/c-general`;
    expect(iamAllows([doc], "autoscaling:SetInstanceHealth", group("aws-cn"), ctx)).toBe(true);
    expect(iamAllows([doc], "autoscaling:SetInstanceHealth", group("aws"), ctx)).toBe(false);
  });

  test("the cloud controller manager tags the security groups it creates in cn-north-1", () => {
    const doc = cloudControllerManagerPolicy("c", "cn-north-1");
    const sg = "arn:aws-cn:ec2:cn-north-1:123456789012:security-group/sg-1";
    expect(iamAllows([doc], "ec2:CreateTags", sg, { "ec2:CreateAction": "CreateSecurityGroup", "aws:RequestedRegion": "cn-north-1" })).toBe(
      true,
    );
  });
});
