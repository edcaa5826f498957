import fc from "fast-check";
import { formatCidr, parseCidr, contains, overlaps } from "../../components/core/cidr";
import { allSubnets, MAX_AZS, planProblems, planSubnets, planSummary, type SubnetPlan } from "../../components/network/plan";

/** A VPC range /16../22 with a random, correctly aligned base. */
const vpcArb = fc.tuple(fc.integer({ min: 16, max: 22 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([prefix, raw]) => {
  const block = 2 ** (32 - prefix);
  return formatCidr({ base: Math.floor(raw / block) * block, prefix });
});
const azCountArb = fc.integer({ min: 1, max: 3 });

const byKind = (plan: SubnetPlan) => ({
  public: plan.public.map((s) => s.cidr),
  private: plan.private.map((s) => s.cidr),
  isolated: plan.isolated.map((s) => s.cidr),
});

describe("planSubnets (pure)", () => {
  test("10.0.0.0/16 over three AZs: /19 private blocks from the bottom, /21 public and isolated blocks above the half", () => {
    // /16 cut in eight /19 blocks: blocks 0..3 private (10.0.0.0, .32, .64, .96), block 4 (10.0.128.0/19)
    // cut in four /21 for public, block 5 (10.0.160.0/19) cut in four /21 for isolated.
    const plan = planSubnets({ vpcCidr: "10.0.0.0/16", availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], isolated: true });
    expect(planSummary(plan)).toEqual({
      vpcCidr: "10.0.0.0/16",
      private: { "eu-west-1a": "10.0.0.0/19", "eu-west-1b": "10.0.32.0/19", "eu-west-1c": "10.0.64.0/19" },
      public: { "eu-west-1a": "10.0.128.0/21", "eu-west-1b": "10.0.136.0/21", "eu-west-1c": "10.0.144.0/21" },
      isolated: { "eu-west-1a": "10.0.160.0/21", "eu-west-1b": "10.0.168.0/21", "eu-west-1c": "10.0.176.0/21" },
    });
  });

  test("the smallest VPC (/22) still gives /25 private and /27 public subnets (an NLB needs a /27)", () => {
    // /22 = 1024 addresses in eight /25 blocks of 128: private 10.1.0.0, .128, 10.1.1.0; block 4 = 10.1.2.0/25 in /27s.
    const plan = planSubnets({ vpcCidr: "10.1.0.0/22", availabilityZones: 3 });
    expect(byKind(plan)).toEqual({
      private: ["10.1.0.0/25", "10.1.0.128/25", "10.1.1.0/25"],
      public: ["10.1.2.0/27", "10.1.2.32/27", "10.1.2.64/27"],
      isolated: [],
    });
  });

  test("rejects ranges and AZ counts it cannot plan", () => {
    expect(() => planSubnets({ vpcCidr: "10.0.0.0/15", availabilityZones: 2 })).toThrow(/outside \/16..\/22/);
    expect(() => planSubnets({ vpcCidr: "10.0.0.0/23", availabilityZones: 2 })).toThrow(/outside \/16..\/22/);
    expect(() => planSubnets({ vpcCidr: "10.0.0.1/16", availabilityZones: 2 })).toThrow(/not a valid IPv4 CIDR/);
    expect(() => planSubnets({ vpcCidr: "10.0.0.0/16", availabilityZones: MAX_AZS + 1 })).toThrow(/1..4 AZs/);
    expect(() => planSubnets({ vpcCidr: "10.0.0.0/16", availabilityZones: 0 })).toThrow(/1..4 AZs/);
  });

  test("property: subnets never overlap, stay inside the VPC and are valid AWS sizes", () => {
    fc.assert(
      fc.property(vpcArb, fc.integer({ min: 1, max: MAX_AZS }), fc.boolean(), (vpcCidr, azs, isolated) => {
        const plan = planSubnets({ vpcCidr, availabilityZones: azs, isolated });
        const vpc = parseCidr(vpcCidr)!;
        const cidrs = allSubnets(plan).map((s) => parseCidr(s.cidr)!);
        expect(cidrs).toHaveLength(azs * (isolated ? 3 : 2));
        for (const [i, c] of cidrs.entries()) {
          expect(contains(vpc, c)).toBe(true);
          expect(c.prefix).toBeLessThanOrEqual(28);
          for (const d of cidrs.slice(i + 1)) expect(overlaps(c, d)).toBe(false);
        }
        expect(planProblems(plan)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  test("property: adding an AZ never moves an existing subnet", () => {
    fc.assert(
      fc.property(vpcArb, azCountArb, fc.boolean(), (vpcCidr, n, isolated) => {
        const before = byKind(planSubnets({ vpcCidr, availabilityZones: n, isolated }));
        const after = byKind(planSubnets({ vpcCidr, availabilityZones: n + 1, isolated }));
        for (const kind of ["public", "private", "isolated"] as const) {
          expect(after[kind].slice(0, before[kind].length)).toEqual(before[kind]);
          expect(after[kind].length).toBe(isolated || kind !== "isolated" ? n + 1 : 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("property: adding the isolated kind never moves a public or private subnet", () => {
    fc.assert(
      fc.property(vpcArb, azCountArb, (vpcCidr, n) => {
        const without = planSubnets({ vpcCidr, availabilityZones: n, isolated: false });
        const withIso = planSubnets({ vpcCidr, availabilityZones: n, isolated: true });
        expect(withIso.public).toEqual(without.public);
        expect(withIso.private).toEqual(without.private);
        expect(withIso.isolated).toHaveLength(n);
      }),
      { numRuns: 300 },
    );
  });

  test("property: deterministic, and a subnet's range depends on the AZ's index, not its name", () => {
    fc.assert(
      fc.property(
        vpcArb,
        fc.uniqueArray(fc.stringMatching(/^[a-z]{2}-[a-z]+-\d[a-f]$/), { minLength: 1, maxLength: 3 }),
        (vpcCidr, azs) => {
          const a = planSubnets({ vpcCidr, availabilityZones: azs, isolated: true });
          expect(planSubnets({ vpcCidr, availabilityZones: azs, isolated: true })).toEqual(a);
          expect(byKind(planSubnets({ vpcCidr, availabilityZones: azs.length, isolated: true }))).toEqual(byKind(a));
          expect(a.private.map((s) => s.availabilityZone)).toEqual(azs);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("planProblems catches overlapping and outside subnets (the property above relies on it)", () => {
    const plan = planSubnets({ vpcCidr: "10.0.0.0/16", availabilityZones: 2 });
    const broken: SubnetPlan = {
      ...plan,
      public: [
        { ...plan.public[0]!, cidr: "10.0.16.0/21" },
        { ...plan.public[1]!, cidr: "10.1.0.0/21" },
      ],
    };
    expect(planProblems(broken)).toEqual([
      "public[0] 10.0.16.0/21 overlaps private[0] 10.0.0.0/19",
      "public[1] 10.1.0.0/21 is outside 10.0.0.0/16",
    ]);
  });
});
