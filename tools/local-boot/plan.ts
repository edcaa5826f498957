/**
 * What a local cluster boots from: the stack program planned under mocks that mint real
 * certificates (tests/helpers/real-tls.ts), read off the recorded resources exactly as EC2 and AWS
 * would receive them. Each machine's user data is the `userData` of the resource that launches it
 * (an `aws:ec2/instance` or a pool's launch template, base64 decoded); each role's bundle is its
 * Secrets Manager secret version with the real values; the init marker table, the API name, the API
 * health check and the admin kubeconfig come from their resources too. Nothing is re-rendered here.
 */
import { realTlsMocks } from "../../tests/helpers/real-tls";
import { runPlan, type PlanOptions } from "../plan/run";
import type { RecordedResource } from "../plan/recorder";

export interface Launch {
  /** Resource name of the Instance or LaunchTemplate. */
  resource: string;
  /** Machine role (the user data's `# kubeadm-aws <role>:` line). */
  role: string;
  /** The exact user data. */
  userData: string;
  /** Control-plane instance, pool launch template, or etcd member. */
  kind: "control-plane" | "pool" | "etcd";
  /** Pool: its Auto Scaling group name. */
  asgName?: string;
  /** Availability zone (instances) or undefined (pools: the test picks). */
  availabilityZone?: string;
  /** The instance's fixed private address (an etcd member's network interface). */
  fixedIp?: string;
  /** The data volume attached to the instance (an etcd member's). */
  volume?: { volumeId: string; deviceName: string };
}

export interface LocalPlan {
  stack: string;
  clusterName: string;
  region: string;
  vpcCidr: string;
  apiName: string;
  apiPort: number;
  /** The API target group's health check (what the load balancer stand-in checks). */
  healthCheck: {
    protocol: string;
    path: string;
    matcher: string;
    interval: number;
    timeout: number;
    healthyThreshold: number;
    unhealthyThreshold: number;
  };
  adminKubeconfig: string;
  /** The join token the bundles carry (secret; a fault rotates it). */
  bootstrapToken: string;
  launches: Launch[];
  /** Secret name → value (every role's bundle, etcd members' too: each boot reads its bundle by name). */
  secrets: Record<string, string>;
  /** Roles whose launches' user data was checked byte for byte against `plan --out`'s artifacts. */
  sameAsPlanOut: string[];
  /** S3 buckets of the plan (the etcd backup bucket), created in moto. */
  buckets: string[];
  /** DynamoDB tables: name, hash key and attribute types. */
  tables: { name: string; hashKey: string; attributes: { name: string; type: string }[] }[];
  /** The private zone's A records with addresses (etcd members); the API's alias is `apiName`. */
  records: { name: string; ip: string }[];
  resources: RecordedResource[];
}

function one(resources: RecordedResource[], pred: (r: RecordedResource) => boolean, what: string): RecordedResource {
  const found = resources.filter(pred);
  if (found.length !== 1) throw new Error(`expected one ${what} in the plan, found ${found.length}`);
  return found[0]!;
}

function roleOf(userData: string): string | undefined {
  return /^# kubeadm-aws ([a-z0-9-]+):/m.exec(userData)?.[1];
}

/** Plans a stack with real certificates and reads off what the machines boot from. */
export async function planForLocalBoot(o: PlanOptions): Promise<LocalPlan> {
  const plan = await runPlan({ ...o, mocks: realTlsMocks });
  if (!plan.ok) throw new Error(`plan failed: ${[...plan.issues.map((i) => `${i.path}: ${i.message}`), ...plan.errors].join("\n")}`);
  const rs = plan.resources;
  const cluster = one(rs, (r) => r.type === "pulumi-kubeadm-aws:cluster:Cluster", "Cluster");
  const vpc = one(rs, (r) => r.type === "aws:ec2/vpc:Vpc", "VPC");
  const tg = one(rs, (r) => r.type === "aws:lb/targetGroup:TargetGroup" && /-api-/.test(String(r.rawInputs.name)), "API target group");
  const pki = one(rs, (r) => r.type === "pulumi-kubeadm-aws:pki:ClusterPki", "ClusterPki");
  const apiRecord = one(rs, (r) => r.type === "aws:route53/record:Record" && r.name.endsWith("-api-private"), "private API record");
  const hc = tg.rawInputs.healthCheck as Record<string, unknown>;

  const launches: Launch[] = [];
  for (const r of rs) {
    if (r.type === "aws:ec2/instance:Instance" && typeof r.rawInputs.userData === "string") {
      const role = roleOf(r.rawInputs.userData);
      if (!role) continue; // the bastion is a launch template, so nothing else is here
      // A dedicated etcd member boots like every role; it has its stable network interface and its data volume.
      const eniId = (r.rawInputs.primaryNetworkInterface as { networkInterfaceId?: string } | undefined)?.networkInterfaceId;
      const eni = rs.find((x) => x.type === "aws:ec2/networkInterface:NetworkInterface" && x.id !== undefined && x.id === eniId);
      const attachment = rs.find((x) => x.type === "aws:ec2/volumeAttachment:VolumeAttachment" && x.rawInputs.instanceId === r.id);
      if (eni && attachment) {
        launches.push({
          resource: r.name,
          role,
          userData: r.rawInputs.userData,
          kind: "etcd",
          fixedIp: (eni.rawInputs.privateIps as string[])[0],
          volume: { volumeId: String(attachment.rawInputs.volumeId), deviceName: String(attachment.rawInputs.deviceName) },
        });
      } else {
        launches.push({
          resource: r.name,
          role,
          userData: r.rawInputs.userData,
          kind: "control-plane",
          availabilityZone: r.rawInputs.availabilityZone as string | undefined,
        });
      }
      continue;
    }
    if (r.type === "aws:ec2/launchTemplate:LaunchTemplate" && typeof r.rawInputs.userData === "string") {
      const userData = Buffer.from(r.rawInputs.userData, "base64").toString("utf8");
      const role = roleOf(userData);
      if (!role) continue; // the bastion
      const asg = rs.find((g) => g.type === "aws:autoscaling/group:Group" && g.parent === r.parent);
      launches.push({ resource: r.name, role, userData, kind: "pool", asgName: asg?.rawInputs.name as string | undefined });
    }
  }
  const secrets: Record<string, string> = {};
  for (const v of rs.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion")) {
    const secret = rs.find((s) => s.type === "aws:secretsmanager/secret:Secret" && s.id !== undefined && s.id === v.rawInputs.secretId);
    if (!secret || typeof v.rawInputs.secretString !== "string") continue;
    if (typeof secret.rawInputs.name !== "string")
      throw new Error(`secret ${secret.name} has no name: every boot reads its bundle by its deterministic name`);
    secrets[secret.rawInputs.name] = v.rawInputs.secretString;
  }
  const tables = rs
    .filter((r) => r.type === "aws:dynamodb/table:Table")
    .map((t) => ({
      name: String(t.rawInputs.name),
      hashKey: String(t.rawInputs.hashKey),
      attributes: (t.rawInputs.attributes as { name: string; type: string }[]).map((a) => ({ name: a.name, type: a.type })),
    }));
  // What boots is what `plan --out` writes: each launch's user data is its role's artifacts/<role>/cloud-init.yaml.
  const sameAsPlanOut: string[] = [];
  for (const l of launches) {
    const file = plan.artifacts.get(l.role)?.find((f) => f.path === "cloud-init.yaml");
    if (!file) throw new Error(`plan --out writes no artifacts/${l.role}/cloud-init.yaml for ${l.resource}`);
    if (file.content !== l.userData)
      throw new Error(`${l.resource}'s user data differs from plan --out's artifacts/${l.role}/cloud-init.yaml`);
    if (!sameAsPlanOut.includes(l.role)) sameAsPlanOut.push(l.role);
  }
  // A bucket's id is its name (what the backup scripts were rendered with).
  const buckets = rs.filter((r) => r.type === "aws:s3/bucket:Bucket" && r.id !== undefined).map((b) => String(b.id));
  const apiName = String(apiRecord.rawInputs.name);
  const region = /KUBEADM_AWS_REGION=(\S+)/.exec(launches[0]?.userData ?? "")?.[1];
  if (!region) throw new Error("no KUBEADM_AWS_REGION in the machines' user data");
  return {
    stack: plan.stack,
    clusterName: cluster.name,
    region,
    vpcCidr: String(vpc.rawInputs.cidrBlock),
    apiName,
    apiPort: Number(tg.rawInputs.port),
    healthCheck: {
      protocol: String(hc.protocol),
      path: String(hc.path),
      matcher: String(hc.matcher),
      timeout: Number(hc.timeout),
      interval: Number(hc.interval),
      healthyThreshold: Number(hc.healthyThreshold),
      unhealthyThreshold: Number(hc.unhealthyThreshold),
    },
    adminKubeconfig: String(pki.rawOutputs!.adminKubeconfig),
    bootstrapToken: String(pki.rawOutputs!.bootstrapToken),
    launches,
    secrets,
    sameAsPlanOut,
    buckets,
    tables,
    records: rs
      .filter((r) => r.type === "aws:route53/record:Record" && r.rawInputs.type === "A" && Array.isArray(r.rawInputs.records))
      .map((r) => ({ name: String(r.rawInputs.name), ip: String((r.rawInputs.records as string[])[0]) })),
    resources: rs,
  };
}
