/** The IAM evaluator the bootstrap tests rely on, and NodeRole's exact inputs. */
import { iamAllows, NodeRole, secretReadPolicy, type PolicyDocument } from "../../components/iam";
import { inputs, named, ofType, recordProgram } from "../helpers/record";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const A = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:c/bootstrap/a-AbCdEf";
const B = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:c/bootstrap/b-GhIjKl";

describe("iamAllows", () => {
  const p = secretReadPolicy({ secretArns: [A], kmsKeyArn: KEY, region: "eu-west-1" });

  test("allows exactly what the statements say", () => {
    expect(iamAllows([p], "secretsmanager:GetSecretValue", A)).toBe(true);
    expect(iamAllows([p], "secretsmanager:GetSecretValue", B)).toBe(false);
    expect(iamAllows([p], "secretsmanager:PutSecretValue", A)).toBe(false);
    expect(
      iamAllows([p], "kms:Decrypt", KEY, {
        "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:SecretARN": A,
      }),
    ).toBe(true);
    expect(
      iamAllows([p], "kms:Decrypt", KEY, {
        "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:SecretARN": B,
      }),
    ).toBe(false);
    expect(iamAllows([p], "kms:Decrypt", KEY, { "kms:EncryptionContext:SecretARN": A })).toBe(false);
    expect(
      iamAllows([p], "kms:Encrypt", KEY, {
        "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:SecretARN": A,
      }),
    ).toBe(false);
  });

  test("wildcards, and an explicit deny wins", () => {
    const wide: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "secretsmanager:*", Resource: "arn:aws:secretsmanager:*:*:secret:c/bootstrap/*" }],
    };
    expect(iamAllows([wide], "secretsmanager:GetSecretValue", B)).toBe(true);
    const deny: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "secretsmanager:Get*", Resource: B }] };
    expect(iamAllows([wide, deny], "secretsmanager:GetSecretValue", B)).toBe(false);
    expect(iamAllows([wide, deny], "secretsmanager:GetSecretValue", A)).toBe(true);
  });

  test("an operator it does not know is an error, not a silent pass", () => {
    const odd: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }],
    };
    expect(() => iamAllows([odd], "s3:GetObject", "arn:aws:s3:::b/k", { "aws:SourceIp": "10.1.2.3" })).toThrow(/IpAddress/);
  });
});

describe("NodeRole", () => {
  test("role EC2 may assume, instance profile, inline and managed policies", async () => {
    const rec = await recordProgram(() => {
      new NodeRole("c-w", {
        clusterName: "c",
        machineRole: "worker-general",
        region: "eu-west-1",
        policies: { "bootstrap-read": secretReadPolicy({ secretArns: [A], kmsKeyArn: KEY, region: "eu-west-1" }) },
      });
    });
    expect(rec.errors).toEqual([]);
    const role = named(rec, "aws:iam/role:Role", "c-w-role");
    expect(inputs(role).name).toBe("c-worker-general");
    expect(JSON.parse(inputs(role).assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "ec2.amazonaws.com" });
    expect(inputs(named(rec, "aws:iam/instanceProfile:InstanceProfile", "c-w-profile"))).toMatchObject({
      name: "c-worker-general",
      role: "c-worker-general",
    });
    expect(inputs(named(rec, "aws:iam/rolePolicy:RolePolicy", "c-w-bootstrap-read"))).toMatchObject({
      name: "bootstrap-read",
      role: "c-worker-general",
    });
    expect(ofType(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => [r.name, inputs(r).policyArn])).toEqual([
      ["c-w-AmazonSSMManagedInstanceCore", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
    ]);
  });

  test("in China and GovCloud the managed policy's ARN names the region's partition", async () => {
    const rec = await recordProgram(() => {
      new NodeRole("cn", { clusterName: "c", machineRole: "bastion", region: "cn-north-1" });
      new NodeRole("gov", { clusterName: "g", machineRole: "bastion", region: "us-gov-west-1" });
    });
    expect(rec.errors).toEqual([]);
    expect(ofType(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => [r.name, inputs(r).policyArn])).toEqual([
      ["cn-AmazonSSMManagedInstanceCore", "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore"],
      ["gov-AmazonSSMManagedInstanceCore", "arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore"],
    ]);
  });
});
