/** Specs of the repository's stacks, resolved the way the stack program resolves them. */
import { parse as parseYaml } from "yaml";
import { readFileSync } from "fs";
import * as path from "path";
import { resolveClusterSpec } from "../../components/config";
import type { ClusterEnvironment } from "../../components/environment";
import { type ClusterSpec } from "../../components/spec";

export const STACKS = ["dev", "staging", "prod"] as const;

export function stackSpec(stack: (typeof STACKS)[number]): ClusterSpec {
  const file = path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`);
  const doc = parseYaml(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  return resolveClusterSpec(doc.config["pulumi-kubeadm-aws:cluster"]);
}

/** A spec for a tier with the tier's default pools (no overrides beyond identity). */
export function tierSpec(tier: "dev" | "standard" | "critical", extra: Record<string, unknown> = {}): ClusterSpec {
  return resolveClusterSpec({
    name: `t-${tier}`,
    tier,
    region: "eu-west-1",
    availabilityZones: tier === "dev" ? ["eu-west-1a", "eu-west-1b"] : ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    api: tier === "critical" ? {} : { allowedCidrs: ["203.0.113.0/24"] },
    ...extra,
  });
}

export const decodeBase64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/** A network for a Cluster under mocks: one private and one public subnet per AZ of `spec`, a private zone. */
export function testEnvironment(spec: Pick<ClusterSpec, "availabilityZones">, extra: Partial<ClusterEnvironment> = {}): ClusterEnvironment {
  return {
    vpcId: "vpc-1",
    privateSubnetIds: spec.availabilityZones.map((_, i) => `subnet-priv-${i}`),
    publicSubnetIds: spec.availabilityZones.map((_, i) => `subnet-pub-${i}`),
    privateSubnetCidrs: spec.availabilityZones.map((_, i) => `10.9.${i * 16}.0/20`),
    zoneId: "Z0PRIVATE",
    ...extra,
  };
}
