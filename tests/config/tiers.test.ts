import { readFileSync } from "fs";
import * as path from "path";
import { ConfigError, resolveClusterSpec, TIERS, TIER_NAMES, validateClusterConfig } from "../../components";
import { tierTable } from "../../tools/docs/tier-table";

const minimal = (tier: string, extra: Record<string, unknown> = {}) => ({
  name: "t1",
  tier,
  region: "us-east-1",
  availabilityZones:
    TIERS[tier as keyof typeof TIERS].azCount === 3 ? ["us-east-1a", "us-east-1b", "us-east-1c"] : ["us-east-1a", "us-east-1b"],
  api: { allowedCidrs: ["192.0.2.0/24"] },
  ...extra,
});

describe("tiers", () => {
  test.each(TIER_NAMES)("tier %s resolves from a minimal config to its preset", (name) => {
    const t = TIERS[name];
    const spec = resolveClusterSpec(minimal(name));
    expect(spec.tier).toBe(name);
    expect(spec.availabilityZones).toHaveLength(t.azCount);
    expect(spec.controlPlane).toEqual(t.controlPlane);
    expect(spec.etcd).toEqual(t.etcd);
    expect(spec.backup).toEqual(t.backup);
    expect(spec.network.natStrategy).toBe(t.network.natStrategy);
    expect(spec.network.interfaceEndpoints).toEqual(t.network.interfaceEndpoints);
    expect(spec.deletionProtection).toBe(t.deletionProtection);
    expect(spec.api.exposure).toBe(t.api.exposure);
    expect(spec.upgradeStrategy).toBe(t.upgradeStrategy);
    expect(spec.nodePools.map((p) => p.name)).toEqual(t.defaultNodePools.map((p) => p.name));
  });

  test.each(TIER_NAMES.filter((n) => TIERS[n].highAvailability))("HA tier %s keeps its own promises", (name) => {
    const t = TIERS[name];
    expect(t.azCount).toBeGreaterThanOrEqual(2);
    expect(t.controlPlane.count).toBeGreaterThanOrEqual(3);
    expect(t.etcd.members).toBeGreaterThanOrEqual(3);
    expect(t.network.natStrategy).toBe("per-az");
    if (t.etcd.topology === "colocated") expect(t.etcd.members).toBe(t.controlPlane.count);
  });

  test("stricter tiers never back up less often or keep snapshots for less time", () => {
    const [dev, standard, critical] = [TIERS.dev, TIERS.standard, TIERS.critical];
    expect(standard.backup.intervalMinutes).toBeLessThan(dev.backup.intervalMinutes);
    expect(critical.backup.intervalMinutes).toBeLessThan(standard.backup.intervalMinutes);
    expect(critical.backup.dailyRetentionDays).toBeGreaterThan(standard.backup.dailyRetentionDays);
  });

  test("config overrides any tier field, and the rest stays the tier's", () => {
    const spec = resolveClusterSpec(
      minimal("critical", {
        controlPlane: { instanceType: "m6i.4xlarge" },
        etcd: { members: 7, volume: { iops: 20000 } },
        backup: { dailyRetentionDays: 365 },
        upgradeStrategy: "node-replacement",
        api: { exposure: "public", allowedCidrs: ["192.0.2.0/24"] },
      }),
    );
    expect(spec.controlPlane).toEqual({ ...TIERS.critical.controlPlane, instanceType: "m6i.4xlarge" });
    expect(spec.etcd.members).toBe(7);
    expect(spec.etcd.volume).toEqual({ ...TIERS.critical.etcd.volume, iops: 20000 });
    expect(spec.etcd.topology).toBe("dedicated");
    expect(spec.backup).toEqual({ ...TIERS.critical.backup, dailyRetentionDays: 365 });
    expect(spec.upgradeStrategy).toBe("node-replacement");
    expect(spec.api.exposure).toBe("public");
    expect(spec.deletionProtection).toBe(true);
  });

  test("a dev cluster can opt into a 3-AZ layout with azCount", () => {
    const spec = resolveClusterSpec(minimal("dev", { azCount: 3, availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] }));
    expect(spec.availabilityZones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
  });

  test("an override that breaks the tier's HA promise is refused", () => {
    expect(() => resolveClusterSpec(minimal("critical", { etcd: { members: 1 } }))).toThrow(ConfigError);
    expect(validateClusterConfig(minimal("critical", { etcd: { members: 1 } }))).toEqual([
      { path: "cluster.etcd.members", message: "tier critical promises high availability: at least 3 etcd members" },
    ]);
  });

  test("node pools are completed from their presets, user labels and taints on top", () => {
    const spec = resolveClusterSpec(
      minimal("dev", {
        nodePools: [
          { name: "gpu", preset: "gpu", minSize: 0, maxSize: 2, labels: { team: "ml" } },
          { name: "edge", preset: "ingress", minSize: 2, maxSize: 4, desiredSize: 3, spot: {} },
        ],
      }),
    );
    const [gpu, edge] = spec.nodePools;
    expect(gpu).toMatchObject({ instanceTypes: ["g4dn.xlarge"], desiredSize: 0, rootVolumeGiB: 100, minHealthyPercentage: 90 });
    expect(gpu!.labels).toEqual({ "node.kubeadm-aws.io/class": "gpu", "nvidia.com/gpu.present": "true", team: "ml" });
    expect(gpu!.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
    expect(edge).toMatchObject({
      instanceTypes: ["c5.large"],
      desiredSize: 3,
      spot: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0 },
    });
    expect(edge!.taints).toEqual([{ key: "node.kubeadm-aws.io/role", value: "ingress", effect: "NoSchedule" }]);
  });

  test("pinning a Kubernetes minor brings that minor's etcd, CoreDNS, pause and crictl", () => {
    // kubeadm 1.35's pins: DefaultEtcdVersion 3.6.6, CoreDNSVersion 1.13.1, PauseVersion 3.10.1; its release's crictl 1.34.0.
    const spec = resolveClusterSpec(minimal("dev", { versions: { kubernetes: "1.35.4" } }));
    expect(spec.versions).toMatchObject({
      kubernetes: "1.35.4",
      kubelet: "1.35.4",
      etcd: "3.6.6",
      coredns: "1.13.1",
      pause: "3.10.1",
      crictl: "1.34.0",
    });
    // Nothing pinned: the default manifest, Kubernetes 1.36.3 with kubeadm 1.36's pins.
    expect(resolveClusterSpec(minimal("dev")).versions).toMatchObject({
      kubernetes: "1.36.3",
      kubelet: "1.36.3",
      etcd: "3.6.8",
      coredns: "1.14.2",
      pause: "3.10.2",
      crictl: "1.35.0",
    });
    // An explicit pin wins over the minor's default: a kubelet one minor behind the API server, mid-upgrade.
    const older = resolveClusterSpec(minimal("dev", { versions: { kubernetes: "1.36.3", kubelet: "1.35.4" } }));
    expect(older.versions).toMatchObject({ kubernetes: "1.36.3", kubelet: "1.35.4", etcd: "3.6.8", crictl: "1.35.0" });
  });

  test("the README's tier table is the one rendered from the tier data", () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    expect(readme).toContain(tierTable());
  });
});
