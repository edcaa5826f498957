/**
 * RoleBootstrap for every role of the staging and prod stacks under the recording mocks: one
 * secret per role on the cluster key, IAM that lets each role read its own secret and no other
 * (evaluated from the recorded policies), user data and artifacts without any secret value.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  BootstrapKey,
  checkPlainFilesAreSecretFree,
  renderBundle,
  renderCloudConfig,
  renderWorkerFiles,
  RoleBootstrap,
  type RoleFile,
} from "../../components/bootstrap";
import { apiNameOf, controlPlaneBootstrapArgs, workerBootstrapArgs } from "../../components/cluster";
import { canReadSecret, type PolicyDocument } from "../../components/iam";
import { ClusterPki } from "../../components/pki";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { etcdEndpoints, stackSpecs, FAKE_MATERIAL } from "./stack-roles";

interface Captured {
  keyArn?: string;
  secretArns: Record<string, string>;
  userData: Record<string, string>;
  secrets: Record<string, string>;
}

async function recordStack(stack: string) {
  const spec = stackSpecs().find((s) => s.stack === stack)!.spec;
  const cap: Captured = { secretArns: {}, userData: {}, secrets: {} };
  const rec = await recordProgram(() => {
    const dedicated = spec.etcd.topology === "dedicated";
    const key = new BootstrapKey(`${spec.name}-bootstrap-key`, { clusterName: spec.name });
    const pki = new ClusterPki(`${spec.name}-pki`, {
      clusterName: spec.name,
      apiName: `api.${spec.name}.${spec.api.domain}`,
      externalEtcdClient: dedicated,
    });
    key.keyArn.apply((a) => (cap.keyArn = a));
    const secretValues: Record<string, pulumi.Output<string>> = {
      token: pki.bootstrapToken,
      caKey: pki.caKeyPem,
      saKey: pki.serviceAccountKeyPem,
      encryptionKey: pki.encryptionKey,
      frontProxyKey: pki.frontProxyCaKeyPem,
      etcdCaKey: pki.etcdCaKeyPem,
    };
    for (const [k, o] of Object.entries(secretValues)) o.apply((v) => (cap.secrets[k] = v));
    const roles: RoleBootstrap[] = [];
    for (let i = 0; i < spec.controlPlane.count; i++) {
      roles.push(
        new RoleBootstrap(
          `${spec.name}-cp-${i}`,
          controlPlaneBootstrapArgs({
            spec,
            pki,
            kmsKeyArn: key.keyArn,
            index: i,
            apiName: apiNameOf(spec),
            etcdEndpoints: etcdEndpoints(spec)?.map((e) => pulumi.output(e)),
          }),
        ),
      );
    }
    for (const pool of spec.nodePools)
      roles.push(
        new RoleBootstrap(
          `${spec.name}-pool-${pool.name}`,
          workerBootstrapArgs({ spec, pki, kmsKeyArn: key.keyArn, pool, apiName: apiNameOf(spec) }),
        ),
      );
    for (const r of roles) {
      pulumi.all([r.secretArn, r.userData, r.files]).apply(([arn, ud, files]) => {
        const role = (files as RoleFile[])
          .find((f) => f.path === "/etc/kubeadm-aws/bootstrap.env")!
          .content.match(/KUBEADM_AWS_ROLE=(.*)/)![1]!;
        cap.secretArns[role] = arn;
        cap.userData[role] = ud;
      });
    }
  });
  return { spec, rec, cap };
}

const policiesOf = (rec: Awaited<ReturnType<typeof recordStack>>["rec"], iamRoleName: string): PolicyDocument[] =>
  ofType(rec, "aws:iam/rolePolicy:RolePolicy")
    .filter((p) => inputs(p).role === iamRoleName)
    .map((p) => JSON.parse(inputs(p).policy as string) as PolicyDocument);

describe.each(["staging", "prod"])("bootstrap of every role of the %s stack", (stack) => {
  let r: Awaited<ReturnType<typeof recordStack>>;
  beforeAll(async () => {
    r = await recordStack(stack);
  }, 120_000);

  test("records without errors; one secret, one secret version, one IAM role per machine role", () => {
    expect(r.rec.errors).toEqual([]);
    const roles = Object.keys(r.cap.secretArns).sort();
    const expected = [
      ...Array.from({ length: r.spec.controlPlane.count }, (_, i) => `control-plane-${i}`),
      ...r.spec.nodePools.map((p) => `worker-${p.name}`),
    ].sort();
    expect(roles).toEqual(expected);
    expect(ofType(r.rec, "aws:secretsmanager/secret:Secret")).toHaveLength(expected.length);
    expect(ofType(r.rec, "aws:secretsmanager/secretVersion:SecretVersion")).toHaveLength(expected.length);
    expect(
      ofType(r.rec, "aws:iam/role:Role")
        .map((x) => inputs(x).name)
        .sort(),
    ).toEqual(expected.map((x) => `${r.spec.name}-${x}`).sort());
    expect(ofType(r.rec, "aws:kms/key:Key")).toHaveLength(1);
  });

  test("secrets: deterministic name, the cluster KMS key, bundle value secret in state", () => {
    const s = named(r.rec, "aws:secretsmanager/secret:Secret", `${r.spec.name}-cp-0-secret`);
    expect(inputs(s)).toMatchObject({ name: `${r.spec.name}/bootstrap/control-plane-0`, kmsKeyId: r.cap.keyArn, recoveryWindowInDays: 0 });
    expect(inputs(s).tags[`kubernetes.io/cluster/${r.spec.name}`]).toBe("owned");
    const v = named(r.rec, "aws:secretsmanager/secretVersion:SecretVersion", `${r.spec.name}-cp-0-bundle`);
    expect(inputs(v).secretString).toBe("[secret]");
    expect(v.rawInputs.secretString as string).toContain(r.cap.secrets.caKey!.trim().split("\n")[1]!);
  });

  test("each role can read its own secret and no other (IAM evaluated from the recorded policies)", () => {
    const roles = Object.keys(r.cap.secretArns);
    for (const reader of roles) {
      const policies = policiesOf(r.rec, `${r.spec.name}-${reader}`);
      expect(policies.length).toBeGreaterThan(0);
      for (const target of roles) {
        expect([reader, target, canReadSecret(policies, r.cap.secretArns[target]!, r.cap.keyArn!, r.spec.region)]).toEqual([
          reader,
          target,
          reader === target,
        ]);
      }
      // kms:Decrypt outside Secrets Manager (e.g. a direct call with the node's credentials) is denied.
      expect(canReadSecret(policies, r.cap.secretArns[reader]!, r.cap.keyArn!, "us-east-1")).toBe(false);
    }
  });

  test("the read policy is exactly GetSecretValue/DescribeSecret on the own ARN and Decrypt via Secrets Manager", () => {
    const [doc] = policiesOf(r.rec, `${r.spec.name}-worker-general`);
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadOwnBootstrapSecret",
          Effect: "Allow",
          Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
          Resource: [r.cap.secretArns["worker-general"]],
        },
        {
          Sid: "DecryptOwnBootstrapSecret",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: r.cap.keyArn,
          Condition: {
            StringEquals: {
              "kms:ViaService": `secretsmanager.${r.spec.region}.amazonaws.com`,
              "kms:EncryptionContext:SecretARN": [r.cap.secretArns["worker-general"]],
            },
          },
        },
      ],
    });
    const trust = JSON.parse(inputs(named(r.rec, "aws:iam/role:Role", `${r.spec.name}-pool-general-iam-role`)).assumeRolePolicy as string);
    expect(trust.Statement).toEqual([
      { Sid: "ServiceAssume", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  test("no user data and no artifact contains a private key, the token or the encryption key", () => {
    const token = r.cap.secrets.token!;
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const forbidden = [
      token,
      token.split(".")[1]!,
      r.cap.secrets.encryptionKey!,
      ...["caKey", "saKey", "frontProxyKey", "etcdCaKey"].map((k) => r.cap.secrets[k]!.split("\n")[1]!),
    ];
    const texts = [...Object.values(r.cap.userData), ...[...r.rec.artifacts.values()].flat().map((f) => f.content)];
    expect(texts.length).toBeGreaterThan(20);
    for (const t of texts) {
      expect(t).not.toMatch(/PRIVATE KEY-----/);
      for (const f of forbidden) expect(t.includes(f)).toBe(false);
    }
    // Positive control: the worker's bundle does carry the token.
    expect(
      named(r.rec, "aws:secretsmanager/secretVersion:SecretVersion", `${r.spec.name}-pool-general-bundle`).rawInputs.secretString as string,
    ).toContain(token);
  });

  test("artifacts: one folder per role, the user data, and placeholders where secrets go", () => {
    expect([...r.rec.artifacts.keys()].sort()).toEqual(Object.keys(r.cap.secretArns).sort());
    const cp0 = r.rec.artifacts.get("control-plane-0")!;
    expect(cp0.find((f) => f.path === "cloud-init.yaml")!.content).toBe(r.cap.userData["control-plane-0"]);
    expect(cp0.find((f) => f.path === "etc/kubernetes/kubeadm/init.yaml")!.content).toContain("token: <secret:bootstrapToken>");
    expect(cp0.find((f) => f.path === "etc/kubernetes/pki/ca.key")!.content).toBe("<secret:caKeyPem>");
    expect(cp0.find((f) => f.path === "etc/kubernetes/apiserver/encryption-config.yaml")!.content).toContain(
      "secret: <secret:encryptionKey>",
    );
  });
});

describe("secrets never reach user data", () => {
  const worker = (token: string): RoleFile[] =>
    renderWorkerFiles(
      { role: "worker-general", region: "eu-west-1", clusterName: "t", apiName: "api.t.example.internal" },
      { discoveryHash: FAKE_MATERIAL.discoveryHash },
      { bootstrapToken: token },
    );

  test("rotating the token changes the bundle, not the user data (no node rolls)", () => {
    const a = worker("aaaaaa.0000000000000000");
    const b = worker("bbbbbb.1111111111111111");
    expect(renderCloudConfig("worker-general", a)).toBe(renderCloudConfig("worker-general", b));
    expect(renderBundle("worker-general", a)).not.toBe(renderBundle("worker-general", b));
    expect(renderCloudConfig("worker-general", a)).not.toContain("aaaaaa");
  });

  test("a renderer that puts a secret into a plain file is refused (RoleBootstrap runs this check on the bundle)", () => {
    const render = (token: string): RoleFile[] => [
      { path: "/etc/kubeadm-aws/bootstrap.env", content: `TOKEN=${token}\n`, permissions: "0644", sensitive: false },
      { path: "/etc/kubernetes/kubeadm/join.yaml", content: `token: ${token}\n`, permissions: "0600", sensitive: true },
    ];
    expect(() => checkPlainFilesAreSecretFree("worker-leak", render("abcdef.0123456789abcdef"), render("<secret:token>"))).toThrow(
      /plain file \/etc\/kubeadm-aws\/bootstrap.env depends on a secret value/,
    );
    const ok = (token: string) => render(token).filter((f) => f.sensitive);
    expect(() => checkPlainFilesAreSecretFree("worker-ok", ok("abcdef.0123456789abcdef"), ok("<secret:token>"))).not.toThrow();
  });
});
