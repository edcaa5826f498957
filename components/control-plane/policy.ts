/**
 * IAM policy documents of a control-plane node, pure JSON.
 *
 * The AWS cloud controller manager (cloud-provider-aws) runs on the control plane with
 * `--configure-cloud-routes=false` (the CNI routes pods) and no volume duties (the EBS CSI driver
 * has its own role), so the node needs: read the instances, subnets and route tables it labels and
 * reconciles; create load balancers and security groups for `type: LoadBalancer` Services; and
 * change or delete only those carrying this cluster's ownership tag.
 *
 * That tag alone is not enough: the library tags everything it creates with it too (the API load balancer,
 * its target group, the cluster's security groups), so an explicit Deny keeps every change and delete off
 * resources carrying the library's own tag (`LIBRARY_CLUSTER_TAG`, which the CCM never sets). A control-plane
 * node can thus neither disable the API load balancer's deletion protection nor delete it, nor open the
 * cluster's own groups. `ec2:CreateTags` is allowed only inside `CreateSecurityGroup` (`ec2:CreateAction`):
 * the CCM tags the groups it creates, and cannot re-tag any other.
 */
import { arnOf } from "../core/arn";
import { LIBRARY_CLUSTER_TAG, ownershipTagKey } from "../core/tags";

export interface CpPolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface CpPolicyDocument {
  Version: "2012-10-17";
  Statement: CpPolicyStatement[];
}

/** Read-only calls the CCM's node, service and tagging controllers make. */
export const CCM_DESCRIBE_ACTIONS = [
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceTopology",
  "ec2:DescribeRegions",
  "ec2:DescribeRouteTables",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeVpcs",
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeLoadBalancerAttributes",
  "elasticloadbalancing:DescribeLoadBalancerPolicies",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeTargetGroupAttributes",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetHealth",
];

/** Calls that create a Service's load balancer and security group (tagged by the CCM at creation). */
export const CCM_CREATE_ACTIONS = [
  "ec2:CreateSecurityGroup",
  "elasticloadbalancing:AddTags",
  "elasticloadbalancing:CreateListener",
  "elasticloadbalancing:CreateLoadBalancer",
  "elasticloadbalancing:CreateLoadBalancerListeners",
  "elasticloadbalancing:CreateLoadBalancerPolicy",
  "elasticloadbalancing:CreateTargetGroup",
];

/** Calls that change or delete what the CCM created: only on resources tagged as this cluster's. */
export const CCM_OWNED_EC2_ACTIONS = ["ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupIngress"];

export const CCM_OWNED_ELB_ACTIONS = [
  "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
  "elasticloadbalancing:AttachLoadBalancerToSubnets",
  "elasticloadbalancing:ConfigureHealthCheck",
  "elasticloadbalancing:DeleteListener",
  "elasticloadbalancing:DeleteLoadBalancer",
  "elasticloadbalancing:DeleteLoadBalancerListeners",
  "elasticloadbalancing:DeleteTargetGroup",
  "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
  "elasticloadbalancing:DeregisterTargets",
  "elasticloadbalancing:DetachLoadBalancerFromSubnets",
  "elasticloadbalancing:ModifyListener",
  "elasticloadbalancing:ModifyLoadBalancerAttributes",
  "elasticloadbalancing:ModifyTargetGroup",
  "elasticloadbalancing:ModifyTargetGroupAttributes",
  "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
  "elasticloadbalancing:RegisterTargets",
  "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
  "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
];

/** The cloud controller manager's policy for cluster `clusterName` in `region`. */
export function cloudControllerManagerPolicy(clusterName: string, region: string): CpPolicyDocument {
  const tag = ownershipTagKey(clusterName);
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Describe", Effect: "Allow", Action: [...CCM_DESCRIBE_ACTIONS], Resource: "*" },
      {
        Sid: "CreateServiceLoadBalancers",
        Effect: "Allow",
        Action: [...CCM_CREATE_ACTIONS],
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": region } },
      },
      {
        Sid: "TagCreatedSecurityGroups",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: arnOf({ region, service: "ec2", resource: "security-group/*" }),
        Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" } },
      },
      {
        Sid: "ChangeOwnedSecurityGroups",
        Effect: "Allow",
        Action: [...CCM_OWNED_EC2_ACTIONS],
        Resource: "*",
        Condition: { StringEquals: { [`ec2:ResourceTag/${tag}`]: "owned" } },
      },
      {
        Sid: "ChangeOwnedLoadBalancers",
        Effect: "Allow",
        Action: [...CCM_OWNED_ELB_ACTIONS],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/${tag}`]: "owned" } },
      },
      {
        Sid: "NothingTheLibraryCreated",
        Effect: "Deny",
        Action: [...CCM_OWNED_EC2_ACTIONS, "ec2:CreateTags", "ec2:DeleteTags"],
        Resource: "*",
        Condition: { StringLike: { [`ec2:ResourceTag/${LIBRARY_CLUSTER_TAG}`]: "*" } },
      },
      {
        Sid: "NoLoadBalancerTheLibraryCreated",
        Effect: "Deny",
        Action: [...CCM_OWNED_ELB_ACTIONS, "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        Resource: "*",
        Condition: { StringLike: { [`aws:ResourceTag/${LIBRARY_CLUSTER_TAG}`]: "*" } },
      },
      {
        Sid: "LoadBalancingServiceLinkedRole",
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: "*",
        Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
      },
    ],
  };
}
