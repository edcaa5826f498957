/**
 * RoleBootstrap: everything one machine role needs to boot.
 * - its files, rendered twice by the same pure function: with placeholders (user data, artifacts)
 *   and with the real secrets (the bundle); a plain file that differs between the two would carry
 *   a secret, and fails the program;
 * - a Secrets Manager secret (cluster KMS key) holding the bundle;
 * - a NodeRole (IAM role + instance profile) whose policy reads only that secret, plus the role's own
 *   policies (`extraPolicies`): every node role is made here, nowhere else;
 * - `userData`: the `#cloud-config` stub (no key, no token), and the boot artifacts for the plan.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { publishBootArtifacts } from "../core/artifacts";
import { clusterTags } from "../core/tags";
import { typeToken } from "../core/tokens";
import { NodeRole } from "../iam/node-role";
import { secretReadPolicy, type PolicyDocument } from "../iam/policy";
import { artifactFiles, renderBundle, renderCloudConfig, type RoleFile } from "./files";
import { bootstrapSecretName, placeholders } from "./roles";

export type RoleRenderer = (values: Record<string, string>, secrets: Record<string, string>) => RoleFile[];

export interface RoleBootstrapArgs {
  /** Cluster name. Required. */
  clusterName: string;
  /** Machine role: artifact folder, secret and IAM role name part, e.g. `control-plane-0`, `worker-general`. Required. */
  role: string;
  /** AWS region (the KMS ViaService condition). Required. */
  region: string;
  /** ARN of the cluster's bootstrap KMS key. Required. */
  kmsKeyArn: pulumi.Input<string>;
  /** Renders all of the role's files from plain values and secret values. Required. */
  render: RoleRenderer;
  /** Plain values the renderer needs (certificates, the discovery hash). @default {} */
  values?: Record<string, pulumi.Input<string>>;
  /** Secret values the renderer needs (keys, token); artifacts show `<secret:NAME>`. Required. */
  secrets: Record<string, pulumi.Input<string>>;
  /** More inline policies for the role (e.g. the cloud controller manager's). @default {} */
  extraPolicies?: Record<string, pulumi.Input<PolicyDocument>>;
  /** Managed policies for the role. @default [ssmCorePolicyArn(region)] (Session Manager) */
  managedPolicyArns?: string[];
  /** Days Secrets Manager keeps a deleted secret (0: at once, so a re-created role can reuse the name). @default 0 */
  recoveryWindowInDays?: number;
  /** Extra tags. @default {} */
  tags?: Record<string, string>;
}

/** Fails when a plain file changes with the secret values (it would carry a secret into user data). */
export function checkPlainFilesAreSecretFree(role: string, real: RoleFile[], shown: RoleFile[]): void {
  const byPath = new Map(shown.map((f) => [f.path, f]));
  for (const f of real) {
    const s = byPath.get(f.path);
    if (!s || s.sensitive !== f.sensitive) throw new Error(`${role}: file ${f.path} is not rendered the same way with placeholders`);
    if (!f.sensitive && s.content !== f.content)
      throw new Error(`${role}: plain file ${f.path} depends on a secret value; mark it sensitive`);
  }
}

export class RoleBootstrap extends pulumi.ComponentResource {
  readonly secret: aws.secretsmanager.Secret;
  readonly secretVersion: aws.secretsmanager.SecretVersion;
  readonly secretArn: pulumi.Output<string>;
  /** The role's IAM role and instance profile: always part of its boot (one way a role is wired). */
  readonly nodeRole: NodeRole;
  readonly instanceProfileName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  /** The plain `#cloud-config` user data: no key, no token. */
  readonly userData: pulumi.Output<string>;
  /** The role's files with placeholders in place of secret values. */
  readonly files: pulumi.Output<RoleFile[]>;

  constructor(name: string, args: RoleBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("bootstrap", "RoleBootstrap"), name, {}, opts);
    const role = args.role;
    const shownSecrets = placeholders(Object.keys(args.secrets));
    const values = pulumi.output(args.values ?? {}) as pulumi.Output<Record<string, string>>;
    this.files = values.apply((v) => args.render(v, shownSecrets));
    this.userData = this.files.apply((f) => renderCloudConfig(role, f));
    const bundle = pulumi.secret(
      pulumi.all([values, pulumi.output(args.secrets) as pulumi.Output<Record<string, string>>]).apply(([v, s]) => {
        const real = args.render(v, s);
        checkPlainFilesAreSecretFree(role, real, args.render(v, shownSecrets));
        return renderBundle(role, real);
      }),
    );
    const tags = clusterTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-${role}-bootstrap`);

    this.secret = new aws.secretsmanager.Secret(
      `${name}-secret`,
      {
        name: bootstrapSecretName(args.clusterName, role),
        description: `${args.clusterName} ${role}: bootstrap bundle read by the role's instance profile at boot`,
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: args.recoveryWindowInDays ?? 0,
        tags,
      },
      { parent: this },
    );
    this.secretVersion = new aws.secretsmanager.SecretVersion(
      `${name}-bundle`,
      {
        secretId: this.secret.id,
        secretString: bundle,
      },
      { parent: this },
    );
    this.secretArn = this.secret.arn;

    const readPolicy = pulumi
      .all([this.secret.arn, args.kmsKeyArn])
      .apply(([arn, key]) => secretReadPolicy({ secretArns: [arn], kmsKeyArn: key, region: args.region }));
    if (args.extraPolicies && "bootstrap-read" in args.extraPolicies)
      throw new Error(`${role}: extraPolicies may not replace "bootstrap-read"`);
    this.nodeRole = new NodeRole(
      `${name}-iam`,
      {
        clusterName: args.clusterName,
        machineRole: role,
        region: args.region,
        policies: { "bootstrap-read": readPolicy, ...(args.extraPolicies ?? {}) },
        managedPolicyArns: args.managedPolicyArns,
        tags: args.tags,
      },
      { parent: this },
    );
    this.instanceProfileName = this.nodeRole.instanceProfileName;
    this.roleArn = this.nodeRole.roleArn;

    publishBootArtifacts(
      role,
      this.files.apply((f) => artifactFiles(role, f)),
    );
    this.registerOutputs({
      secretArn: this.secretArn,
      userData: this.userData,
      instanceProfileName: this.instanceProfileName,
      roleArn: this.roleArn,
    });
  }
}
