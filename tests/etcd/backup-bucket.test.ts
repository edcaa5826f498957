/** BackupBucket under mocks: every setting the issue asks for, asserted on the recorded inputs. */
import { BackupBucket, backupLifecycleRules } from "../../components/backup";
import { inputs, named, ofType, recordProgram } from "../helpers/record";

async function record(extra: { kmsKeyArn?: string; deletionProtection?: boolean } = {}) {
  const rec = await recordProgram(() => {
    new BackupBucket("backups", { clusterName: "prod", frequentRetentionDays: 7, dailyRetentionDays: 90, ...extra });
  });
  expect(rec.errors).toEqual([]);
  return rec;
}

describe("BackupBucket", () => {
  test("versioned, AES256 by default, no public access, owner-enforced, TLS only, protected and retained", async () => {
    const rec = await record();
    const bucket = named(rec, "aws:s3/bucket:Bucket", "backups-bucket");
    expect(inputs(bucket)).toMatchObject({ bucketPrefix: "prod-etcd-backups-", forceDestroy: false });
    expect([bucket.protect, bucket.retainOnDelete]).toEqual([true, true]);
    expect(inputs(named(rec, "aws:s3/bucketVersioning:BucketVersioning", "backups-versioning")).versioningConfiguration).toEqual({
      status: "Enabled",
    });
    expect(
      inputs(named(rec, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "backups-encryption"))
        .rules,
    ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    expect(inputs(named(rec, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backups-public-access"))).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(inputs(named(rec, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "backups-ownership")).rule).toEqual({
      objectOwnership: "BucketOwnerEnforced",
    });
    const policy = JSON.parse(inputs(named(rec, "aws:s3/bucketPolicy:BucketPolicy", "backups-policy")).policy);
    const arn = `arn:aws:s3:::${bucket.id}`;
    expect(policy.Statement[0]).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("lifecycle: frequent/ and daily/ expire after the tier's retention, noncurrent versions after a week", async () => {
    const rec = await record();
    const lc = named(rec, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups-lifecycle");
    const rules = inputs(lc).rules as {
      id: string;
      filter: { prefix: string };
      expiration?: { days?: number };
      noncurrentVersionExpiration?: { noncurrentDays: number };
    }[];
    expect(rules.map((r) => [r.id, r.filter.prefix, r.expiration?.days, r.noncurrentVersionExpiration?.noncurrentDays])).toEqual([
      ["frequent-snapshots", "frequent/", 7, 7],
      ["daily-snapshots", "daily/", 90, 7],
      ["housekeeping", "", undefined, undefined],
    ]);
    // Lifecycle rules on a versioned bucket are applied after versioning is enabled.
    expect(lc.dependencies).toContain(named(rec, "aws:s3/bucketVersioning:BucketVersioning", "backups-versioning").urn);
    expect(() => backupLifecycleRules({ frequentRetentionDays: 0, dailyRetentionDays: 1, noncurrentRetentionDays: 1 })).toThrow(
      /frequentRetentionDays/,
    );
  });

  test("SSE-KMS with a bucket key when a key is given; without deletion protection nothing is protected", async () => {
    const rec = await record({ kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", deletionProtection: false });
    expect(inputs(ofType(rec, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]!).rules).toEqual(
      [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k" },
          bucketKeyEnabled: true,
        },
      ],
    );
    const bucket = named(rec, "aws:s3/bucket:Bucket", "backups-bucket");
    expect([bucket.protect, bucket.retainOnDelete]).toEqual([false, false]);
  });
});
