/**
 * A caller's API name (`apiEndpoint.apiName`) is the one name everything uses: the admin kubeconfig
 * dials it, kubeadm's controlPlaneEndpoint and the API certificate's SANs carry it, joiners discover
 * through it and the boot scripts wait for it. Before the fix kubeadm kept `api.<name>.<domain>`.
 */
import { parseAllDocuments } from "yaml";
import { Cluster } from "../../components/cluster";
import { FILES } from "../../components/bootstrap/paths";
import { apiName as defaultApiName } from "../../components/api-endpoint/settings";
import { apiHostPort } from "../../components/core/ports";
import { ofType, recordProgram } from "../helpers/record";
import { stackSpec } from "./fixtures";

const CUSTOM = "kube.payments.corp.example";

async function record(stack: "dev" | "prod") {
  const spec = stackSpec(stack);
  const rec = await recordProgram(() => {
    const c = new Cluster(spec.name, {
      spec,
      environment: {
        vpcId: "vpc-1",
        privateSubnetIds: spec.availabilityZones.map((_, i) => `subnet-priv-${i}`),
        publicSubnetIds: spec.availabilityZones.map((_, i) => `subnet-pub-${i}`),
        bastionAccess: "ssh -J ubuntu@198.51.100.1",
      },
      apiEndpoint: { apiName: CUSTOM, targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1" },
    });
    return { apiName: c.apiName, adminKubeconfig: c.adminKubeconfig };
  });
  expect(rec.errors).toEqual([]);
  return { spec, rec };
}

function bundleFiles(rec: Awaited<ReturnType<typeof record>>["rec"], role: string): Map<string, string> {
  const v = ofType(rec, "aws:secretsmanager/secretVersion:SecretVersion")
    .map((r) => String(r.rawInputs.secretString))
    .find((s) => s.includes(`"role":"${role}"`));
  if (!v) throw new Error(`no bundle for ${role}`);
  return new Map((JSON.parse(v) as { files: { path: string; content: string }[] }).files.map((f) => [f.path, f.content]));
}

describe.each(["dev", "prod"] as const)("a custom API name on stack %s", (stack) => {
  test("reaches kubeadm, the certificate SANs, discovery, the boot env and the kubeconfig; the default name nowhere", async () => {
    const { spec, rec } = await record(stack);
    const endpoint = apiHostPort(CUSTOM);
    const def = defaultApiName(spec.name, spec.api.domain);
    expect(rec.outputs.apiName).toBe(CUSTOM);

    const cp = bundleFiles(rec, "control-plane-0");
    const docs = parseAllDocuments(cp.get(FILES.initConfig)!).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const cc = docs.find((d) => d.kind === "ClusterConfiguration")!;
    expect(cc.controlPlaneEndpoint).toBe(endpoint);
    expect(cc.apiServer.certSANs).toContain(CUSTOM);
    expect(cc.apiServer.certSANs).not.toContain(def);
    const cpJoin = parseAllDocuments(cp.get(FILES.joinConfig)!)[0]!.toJS() as {
      discovery: { bootstrapToken: { apiServerEndpoint: string } };
    };
    expect(cpJoin.discovery.bootstrapToken.apiServerEndpoint).toBe(endpoint);

    const pool = spec.nodePools[0]!;
    const worker = bundleFiles(rec, `worker-${pool.name}`);
    const wJoin = parseAllDocuments(worker.get(FILES.joinConfig)!)[0]!.toJS() as {
      discovery: { bootstrapToken: { apiServerEndpoint: string } };
    };
    expect(wJoin.discovery.bootstrapToken.apiServerEndpoint).toBe(endpoint);

    // Every role that runs kubeadm dials the API (dedicated etcd members boot the same way but never do).
    const userData = ofType(rec, "pulumi-kubeadm-aws:bootstrap:RoleBootstrap")
      .map((r) => String(r.rawOutputs?.userData ?? ""))
      .filter((u) => !u.includes("KUBEADM_AWS_BOOT_ACTION="));
    expect(userData.length).toBeGreaterThanOrEqual(2);
    for (const u of userData) {
      expect(u).toContain(`KUBEADM_AWS_API_ENDPOINT=${endpoint}`);
      expect(u).not.toContain(def);
    }
    const kubeconfig = String(rec.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.rawOutputs?.adminKubeconfig ?? "");
    expect(kubeconfig).toContain(`server: https://${endpoint}`);
  });
});
