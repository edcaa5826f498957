/** IAM documents for VPC flow logs (pure). */

/** Trust policy: only the flow-logs service, on behalf of this account's flow logs in this region. */
export function flowLogsTrustPolicy(accountId: string, region: string, partition = "aws"): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*` },
        },
      },
    ],
  });
}

/** Permissions: write to one log group only. */
export function flowLogsWritePolicy(logGroupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
      { Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    ],
  });
}
