/** Specs the kubeadm tests render: the three stacks, and a matrix over tiers, etcd layouts and kubelet serving certificates. */
import { resolveClusterSpec } from "../../components/config";
import { type ClusterSpec, type EtcdRuntime, type EtcdTopology, type TierName } from "../../components/spec";
import { TIERS } from "../../components/tiers/tiers";
import { stackSpecs } from "../bootstrap/stack-roles";

export { stackSpecs };

export const TIER_LIST: TierName[] = ["dev", "standard", "critical"];
export const TOPOLOGIES: EtcdTopology[] = ["colocated", "dedicated"];
export const RUNTIMES: EtcdRuntime[] = ["containerized", "on-host"];
export const SERVING: ("self-signed" | "cluster-ca")[] = ["self-signed", "cluster-ca"];

export interface MatrixCase {
  label: string;
  tier: TierName;
  topology: EtcdTopology;
  runtime: EtcdRuntime;
  serving: "self-signed" | "cluster-ca";
  spec: ClusterSpec;
}

/** One cluster config, with a general, a GPU and an ingress pool. Throws ConfigError if the config refuses it. */
export function matrixSpec(
  tier: TierName,
  topology: EtcdTopology,
  runtime: EtcdRuntime,
  serving: "self-signed" | "cluster-ca",
  extra: Record<string, unknown> = {},
): ClusterSpec {
  const t = TIERS[tier];
  const name = `m-${tier.slice(0, 3)}-${topology.slice(0, 3)}-${runtime === "on-host" ? "oh" : "ct"}-${serving === "cluster-ca" ? "ca" : "ss"}`;
  return resolveClusterSpec({
    name,
    tier,
    region: "eu-west-1",
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"].slice(0, t.azCount),
    api: t.api.exposure === "public" ? { allowedCidrs: ["203.0.113.0/24"] } : {},
    // Colocated etcd has one member per control-plane node (a rule of the config).
    etcd: { topology, runtime, ...(topology === "colocated" ? { members: t.controlPlane.count } : {}) },
    kubeletServingCertificates: serving,
    nodePools: [
      { name: "general", preset: "general", minSize: 1, maxSize: 3 },
      { name: "gpu", preset: "gpu", instanceTypes: ["g4dn.xlarge"], minSize: 0, maxSize: 2 },
      { name: "ingress", preset: "ingress", minSize: 1, maxSize: 3 },
    ],
    ...extra,
  });
}

/** Every tier × etcd topology × runtime × kubelet serving certificates. */
export function matrix(): MatrixCase[] {
  const out: MatrixCase[] = [];
  for (const tier of TIER_LIST)
    for (const topology of TOPOLOGIES)
      for (const runtime of RUNTIMES)
        for (const serving of SERVING) {
          const spec = matrixSpec(tier, topology, runtime, serving);
          out.push({ label: `${tier} ${topology}/${runtime} ${serving}`, tier, topology, runtime, serving, spec });
        }
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight (kubeadm runs are cheap processes; 2 cores here). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
