/**
 * ARNs name their partition: `aws` in the commercial regions, `aws-cn` in China, `aws-us-gov` in GovCloud
 * (and the isolated partitions). Every ARN the library writes is built here from the cluster's region, so a
 * cluster in `cn-north-1` gets policies that match its own resources instead of none.
 */

/** Region prefixes of the partitions other than `aws`, longest first. */
const PARTITIONS: readonly [prefix: string, partition: string][] = [
  ["us-isob-", "aws-iso-b"],
  ["us-isof-", "aws-iso-f"],
  ["eu-isoe-", "aws-iso-e"],
  ["us-iso-", "aws-iso"],
  ["us-gov-", "aws-us-gov"],
  ["cn-", "aws-cn"],
];

/** The partition of `region`, e.g. `aws` for `eu-west-1`, `aws-cn` for `cn-north-1`. */
export function partitionOf(region: string): string {
  return PARTITIONS.find(([prefix]) => region.startsWith(prefix))?.[1] ?? "aws";
}

/**
 * An ARN in `region`'s partition: `arn:<partition>:<service>:<region>:<account>:<resource>`. Global services
 * (IAM, S3 buckets) pass `regional: false`, which leaves the region field empty.
 */
export function arnOf(o: { region: string; service: string; resource: string; account?: string; regional?: boolean }): string {
  const region = (o.regional ?? true) ? o.region : "";
  return `arn:${partitionOf(o.region)}:${o.service}:${region}:${o.account ?? "*"}:${o.resource}`;
}

/** An AWS managed IAM policy's ARN in `region`'s partition (`arn:<partition>:iam::aws:policy/<name>`). */
export function awsManagedPolicyArn(region: string, name: string): string {
  return arnOf({ region, service: "iam", account: "aws", regional: false, resource: `policy/${name}` });
}

/** An S3 bucket's ARN in `region`'s partition (`arn:<partition>:s3:::<bucket>`). */
export function bucketArn(region: string, bucket: string): string {
  return arnOf({ region, service: "s3", account: "", regional: false, resource: bucket });
}
