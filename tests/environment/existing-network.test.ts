/**
 * Bring your own network is a function, `existingNetwork`, that returns the Cluster's environment
 * seam (like CDK's Vpc.fromLookup returning an IVpc), not a mode of Vpc that leaves fields undefined.
 * Under the plan's mocks an existing subnet whose id ends in digit d is in the d-th pinned AZ,
 * range 10.0.(16 d).0/20, in MOCK_EXISTING_VPC_ID.
 */
import * as aws from "@pulumi/aws";
import { spawnSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import type { ClusterEnvironment } from "../../components/environment/seam";
import { existingNetwork, existingNetworkProblems, type ExistingNetworkArgs } from "../../components/environment/existing-network";
import { MOCK_EXISTING_VPC_ID } from "../../tools/plan/mocks";
import { REPO_ROOT } from "../../tools/plan/run";
import { inputs, ofType, recordProgram } from "../helpers/record";
import { AZS3, capture } from "../network/fixtures";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const CLI = path.join(REPO_ROOT, "tools", "plan", "cli.ts");
const sub = (kind: "a" | "b", d: number) => `subnet-0${kind}${"0".repeat(14)}${d}`;
const args = (over: Partial<ExistingNetworkArgs> = {}): ExistingNetworkArgs => ({
  vpcId: MOCK_EXISTING_VPC_ID,
  vpcCidr: "10.0.0.0/16",
  availabilityZones: AZS3,
  publicSubnetIds: [0, 1, 2].map((d) => sub("a", d)),
  privateSubnetIds: [0, 1, 2].map((d) => sub("b", d)),
  ...over,
});

describe("existingNetwork returns the Cluster's environment seam", () => {
  test("every network field set, ids in AZ order, the private ranges read from AWS; nothing created", async () => {
    let got: { value?: unknown } = {};
    let seam: ClusterEnvironment | undefined;
    const rec = await recordProgram(() => {
      seam = existingNetwork(args());
      got = capture({
        vpcId: seam.vpcId,
        publicSubnetIds: seam.publicSubnetIds,
        privateSubnetIds: seam.privateSubnetIds,
        privateSubnetCidrs: seam.privateSubnetCidrs,
        natPublicIps: seam.natPublicIps,
      });
    });
    expect(rec.errors).toEqual([]);
    expect(rec.resources.filter((r) => r.custom)).toEqual([]);
    expect(ofType(rec, "pulumi-kubeadm-aws:network:Vpc")).toEqual([]);
    expect(seam!.vpcCidr).toBe("10.0.0.0/16");
    expect(got.value).toEqual({
      vpcId: MOCK_EXISTING_VPC_ID,
      publicSubnetIds: args().publicSubnetIds,
      privateSubnetIds: args().privateSubnetIds,
      privateSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"],
      natPublicIps: [],
    });
    // Only the network side: zone, bastion and bucket are the caller's (or an Environment's).
    expect(Object.keys(seam!).sort()).toEqual([
      "natPublicIps",
      "privateSubnetCidrs",
      "privateSubnetIds",
      "publicSubnetIds",
      "vpcCidr",
      "vpcId",
    ]);
  });

  test("given private ranges and NAT addresses are passed on (the ranges checked against AWS)", async () => {
    let got: { value?: unknown } = {};
    const rec = await recordProgram(() => {
      const seam = existingNetwork(
        args({ privateSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"], natPublicIps: ["198.51.100.7"] }),
      );
      got = capture({ cidrs: seam.privateSubnetCidrs, nat: seam.natPublicIps });
    });
    expect(rec.errors).toEqual([]);
    expect(got.value).toEqual({ cidrs: ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"], nat: ["198.51.100.7"] });
    const wrong = await recordProgram(
      () => existingNetwork(args({ privateSubnetCidrs: ["10.0.0.0/20", "10.0.64.0/20", "10.0.32.0/20"] })).privateSubnetIds[0],
    );
    expect(wrong.errors.join("\n")).toContain(`privateSubnetCidrs[1] 10.0.64.0/20 is not the range of ${sub("b", 1)} (10.0.16.0/20)`);
  });
});

describe("bad arguments are refused at once, naming the argument and what is allowed", () => {
  test.each([
    [
      "a missing private subnet",
      { privateSubnetIds: [sub("b", 0), sub("b", 1)] },
      `existingNetwork: privateSubnetIds has 2 subnet(s); the cluster spans 3 AZs (${AZS3.join(", ")}): give one per AZ, in that order`,
    ],
    [
      "no private subnets at all",
      { privateSubnetIds: undefined },
      `existingNetwork: privateSubnetIds is required: the private subnets (every node), one subnet id per AZ in availabilityZones order (${AZS3.join(", ")})`,
    ],
    [
      "no public subnets at all",
      { publicSubnetIds: undefined },
      `existingNetwork: publicSubnetIds is required: the public subnets (an internet-facing API load balancer, the bastion), one subnet id per AZ in availabilityZones order (${AZS3.join(", ")})`,
    ],
    [
      "a malformed subnet id",
      { publicSubnetIds: [sub("a", 0), "sn-1", sub("a", 2)] },
      `existingNetwork: publicSubnetIds[1] "sn-1" is not a subnet id (subnet-...)`,
    ],
    ["a malformed VPC id", { vpcId: "vpc_1" }, `existingNetwork: vpcId "vpc_1" is not a VPC id (vpc-...)`],
    ["a missing VPC range", { vpcCidr: undefined }, "existingNetwork: vpcCidr is required: the existing VPC's range (a.b.c.d/n)"],
    ["no AZs", { availabilityZones: [] }, "existingNetwork: availabilityZones is required: the AZs the cluster spans, in order"],
  ] as [string, Partial<ExistingNetworkArgs>, string][])("%s", (_title, over, message) => {
    let thrown: unknown;
    try {
      existingNetwork({ ...args(), ...over });
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error | undefined)?.message).toBe(message);
  });

  test("the messages say where the arguments came from", () => {
    expect(() => existingNetwork(args({ privateSubnetIds: [sub("b", 0)], argsPath: "cluster.network.existing" }))).toThrow(
      /^cluster\.network\.existing: privateSubnetIds has 1 subnet\(s\); the cluster spans 3 AZs/,
    );
  });

  test("every problem at once, the same subnet twice included", () => {
    const p = existingNetworkProblems(
      args({ publicSubnetIds: [sub("a", 0), sub("a", 1)], privateSubnetIds: [sub("b", 0), "sn-1", sub("b", 0)] }),
      AZS3,
    );
    expect(p).toEqual([
      `publicSubnetIds has 2 subnet(s); the cluster spans 3 AZs (${AZS3.join(", ")}): give one per AZ, in that order`,
      `privateSubnetIds[1] "sn-1" is not a subnet id (subnet-...)`,
      `subnet(s) listed more than once: ${sub("b", 0)}`,
    ]);
  });
});

describe("the layout is checked with AWS, once", () => {
  test("under recordProgram: a wrong layout is one error, and resources that use the ids still record", async () => {
    const rec = await recordProgram(() => {
      const seam = existingNetwork(args({ privateSubnetIds: [sub("b", 2), sub("b", 1), sub("b", 0)] }));
      // A dozen consumers of the checked ids.
      const ids = [...seam.privateSubnetIds, ...seam.publicSubnetIds];
      for (const [i, id] of [...ids, ...ids].entries()) new aws.ec2.NetworkInterface(`eni-${i}`, { subnetId: id });
    });
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toContain(`privateSubnetIds[0] ${sub("b", 2)} is in eu-west-1c; expected eu-west-1a`);
    expect(rec.errors[0]).toContain(`privateSubnetIds[2] ${sub("b", 0)} is in eu-west-1a; expected eu-west-1c`);
    expect(rec.errors[0]).not.toContain("privateSubnetIds[1]");
    const enis = ofType(rec, "aws:ec2/networkInterface:NetworkInterface");
    expect(enis).toHaveLength(12);
    // Nothing got a subnet id that failed the check.
    expect(enis.map((e) => inputs(e).subnetId)).toEqual(Array(12).fill(undefined));
  });

  test("a subnet outside vpcCidr is named with the argument to fix", async () => {
    const rec = await recordProgram(() => existingNetwork(args({ vpcCidr: "10.0.0.0/20" })).vpcId);
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toContain(
      `privateSubnetIds[1] ${sub("b", 1)} (10.0.16.0/20) is outside vpcCidr 10.0.0.0/20; set vpcCidr (network.vpcCidr) to the VPC's range`,
    );
  });

  test("a stack with network.existing: a subnet in the wrong AZ or another VPC fails its plan, naming it by its config path", () => {
    // Run as the plan command does (its own process): the failed check rejects every resource that uses the ids.
    const existing = args();
    const config = (vpcId: string, priv: readonly string[]) =>
      [
        "config:",
        "  aws:region: eu-west-1",
        "  pulumi-kubeadm-aws:cluster:",
        "    name: byo",
        "    tier: standard",
        "    region: eu-west-1",
        `    availabilityZones: [${AZS3.join(", ")}]`,
        "    api:",
        "      allowedCidrs: [203.0.113.0/24]",
        "    network:",
        "      existing:",
        `        vpcId: ${vpcId}`,
        `        publicSubnetIds: [${existing.publicSubnetIds.join(", ")}]`,
        `        privateSubnetIds: [${priv.join(", ")}]`,
        "",
      ].join("\n");
    const plan = (text: string) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "byo-")), "Pulumi.byo.yaml");
      writeFileSync(file, text);
      return spawnSync(TSX, [CLI, "--config", file], { encoding: "utf8" });
    };
    const failures = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("  - ") && l.includes("network.existing"));
    const swapped = plan(config(MOCK_EXISTING_VPC_ID, [sub("b", 1), sub("b", 0), sub("b", 2)]));
    expect(swapped.status).toBe(1);
    expect(failures(swapped.stdout)).toEqual([
      `  - cluster.network.existing: the subnets do not match the cluster's layout: privateSubnetIds[0] ${sub("b", 1)} is in eu-west-1b; expected eu-west-1a` +
        ` (one subnet per AZ, in availabilityZones order); privateSubnetIds[1] ${sub("b", 0)} is in eu-west-1a; expected eu-west-1b` +
        ` (one subnet per AZ, in availabilityZones order) (thrown in an apply at components/environment/existing-network.ts:${swapped.stdout.match(/existing-network\.ts:(\d+)/)?.[1]})`,
    ]);
    const other = plan(config("vpc-0fedcba9876543210", existing.privateSubnetIds));
    expect(other.status).toBe(1);
    expect(failures(other.stdout)).toHaveLength(1);
    // Public and private subnets are checked together.
    expect(other.stdout).toContain(`publicSubnetIds[0] ${sub("a", 0)} is in ${MOCK_EXISTING_VPC_ID}, not in vpc-0fedcba9876543210`);
    expect(other.stdout).toContain(`privateSubnetIds[2] ${sub("b", 2)} is in ${MOCK_EXISTING_VPC_ID}, not in vpc-0fedcba9876543210`);
    const good = plan(config(MOCK_EXISTING_VPC_ID, existing.privateSubnetIds));
    expect(good.stdout).not.toContain("network.existing");
    expect(good.status).toBe(0);
  }, 180_000); // three plans, each its own process
});
