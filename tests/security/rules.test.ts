import fc from "fast-check";
import { bastionRules, clusterRules, instanceGroups, ruleSlug, type RuleContext, type SgRule } from "../../components/security/rules";
import { explainFlow, isAllowed, rulesFromProvider } from "../../components/security/evaluate";
import { formatCidr } from "../../components/core/cidr";

const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({
  bastion: true,
  sshAllowlist: ["192.0.2.0/24"],
  apiExposure: "public",
  apiAllowedCidrs: ["203.0.113.0/24"],
  vpcCidr: "10.0.0.0/16",
  natEgress: true,
  ...over,
});
const all = (c: RuleContext) => [...bastionRules(c), ...clusterRules(c)];
/** Characters AWS accepts in a security-group rule description. */
const AWS_DESCRIPTION = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{1,255}$/;

const cidrArb = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 32 }))
  .map(([a, b, p]) => formatCidr({ base: ((a << 24) >>> 0) + (b << 16) - ((((a << 24) >>> 0) + (b << 16)) % 2 ** (32 - p)), prefix: p }));
const ctxArb = fc.record({
  bastion: fc.boolean(),
  sshAllowlist: fc.uniqueArray(cidrArb, { maxLength: 4 }),
  apiExposure: fc.constantFrom("public" as const, "private" as const),
  apiAllowedCidrs: fc.uniqueArray(cidrArb, { maxLength: 4 }),
  vpcCidr: fc.constant("10.0.0.0/16"),
  natEgress: fc.boolean(),
});

describe("the rule set (pure)", () => {
  test("property: every rule has an AWS-valid description and a unique name; no ingress is open to the world", () => {
    fc.assert(
      fc.property(ctxArb, (c) => {
        const rules = all(c);
        for (const r of rules) expect(r.description).toMatch(AWS_DESCRIPTION);
        const slugs = rules.map(ruleSlug);
        expect(new Set(slugs).size).toBe(slugs.length);
        expect(rules.filter((r) => r.direction === "ingress" && "cidr" in r.peer && r.peer.cidr.endsWith("/0"))).toEqual([]);
      }),
    );
  });

  test("property: the only CIDR ingress is the two allowlists, each on its own port", () => {
    fc.assert(
      fc.property(ctxArb, (c) => {
        const cidrIngress = all(c)
          .filter((r) => r.direction === "ingress" && "cidr" in r.peer)
          .map((r) => `${r.group}:${(r.peer as { cidr: string }).cidr}:${r.fromPort}`);
        const expected = [...c.sshAllowlist.map((x) => `bastion:${x}:22`), ...c.apiAllowedCidrs.map((x) => `apiLb:${x}:6443`)];
        expect(cidrIngress.sort()).toEqual(expected.sort());
      }),
    );
  });

  test("property: only the control plane's and etcd's groups reach 2379, only etcd's reaches 2380", () => {
    const reaches = (rules: SgRule[], direction: SgRule["direction"], port: number) =>
      rules
        .filter(
          (r) => r.direction === direction && r.protocol !== "udp" && (r.protocol === "all" || (r.fromPort <= port && port <= r.toPort)),
        )
        .map((r) => `${r.group}:${"role" in r.peer ? r.peer.role : "cidr" in r.peer ? r.peer.cidr : "nat"}`);
    fc.assert(
      fc.property(ctxArb, (c) => {
        const rules = all(c);
        expect(reaches(rules, "ingress", 2379).sort()).toEqual(["etcd:controlPlane", "etcd:etcd"]);
        expect(reaches(rules, "ingress", 2380)).toEqual(["etcd:etcd"]);
        // Egress to 2379/2380 by group: the same pairs seen from the source.
        expect(
          reaches(rules, "egress", 2379)
            .filter((x) => !x.startsWith("workers:"))
            .sort(),
        ).toEqual(["controlPlane:etcd", "etcd:etcd"]);
        expect(reaches(rules, "egress", 2380).filter((x) => !x.startsWith("workers:"))).toEqual(["etcd:etcd"]);
      }),
    );
  });

  test("an empty SSH allowlist gives the bastion no ingress at all", () => {
    expect(all(ctx({ sshAllowlist: [] })).filter((r) => r.group === "bastion" && r.direction === "ingress")).toEqual([]);
  });

  test("without a bastion no node admits SSH", () => {
    const ssh = clusterRules(ctx({ bastion: false })).filter((r) => r.direction === "ingress" && r.fromPort === 22);
    expect(ssh).toEqual([]);
  });

  test("the NAT peer exists only for an internet-facing load balancer whose NAT addresses are known", () => {
    const nat = (c: RuleContext) =>
      clusterRules(c)
        .filter((r) => "natEgress" in r.peer)
        .map(ruleSlug);
    expect(nat(ctx())).toEqual(["apiLb-in-nat-tcp-6443"]);
    expect(nat(ctx({ apiExposure: "private" }))).toEqual([]);
    expect(nat(ctx({ natEgress: false }))).toEqual([]);
  });
});

describe("the evaluator (pure)", () => {
  const rules: SgRule[] = [
    {
      direction: "ingress",
      group: "workers",
      peer: { role: "controlPlane" },
      protocol: "tcp",
      fromPort: 10250,
      toPort: 10250,
      description: "x",
    },
    {
      direction: "ingress",
      group: "etcd",
      peer: { role: "controlPlane" },
      protocol: "tcp",
      fromPort: 2379,
      toPort: 2379,
      description: "x",
    },
    { direction: "ingress", group: "bastion", peer: { cidr: "192.0.2.0/24" }, protocol: "tcp", fromPort: 22, toPort: 22, description: "x" },
    { direction: "ingress", group: "workers", peer: { role: "workers" }, protocol: "udp", fromPort: 8000, toPort: 9000, description: "x" },
    { direction: "egress", group: "workers", peer: { cidr: "0.0.0.0/0" }, protocol: "all", fromPort: 0, toPort: 0, description: "x" },
  ];

  test("a flow between groups needs egress at the source as well as ingress at the destination", () => {
    expect(explainFlow(rules, { from: "controlPlane", to: "workers", protocol: "tcp", port: 10250 })).toEqual({
      allowed: false,
      ingress: rules[0],
      egress: undefined,
    });
    const withEgress = [
      ...rules,
      {
        direction: "egress",
        group: "controlPlane",
        peer: { role: "workers" },
        protocol: "tcp",
        fromPort: 10250,
        toPort: 10250,
        description: "x",
      } as SgRule,
    ];
    expect(isAllowed(withEgress, { from: "controlPlane", to: "workers", protocol: "tcp", port: 10250 })).toBe(true);
    expect(isAllowed(withEgress, { from: "controlPlane", to: "workers", protocol: "udp", port: 10250 })).toBe(false);
  });

  test("outside sources match CIDR rules by containment only", () => {
    expect(isAllowed(rules, { from: "192.0.2.200", to: "bastion", protocol: "tcp", port: 22 })).toBe(true);
    expect(isAllowed(rules, { from: "192.0.2.0/25", to: "bastion", protocol: "tcp", port: 22 })).toBe(true);
    expect(isAllowed(rules, { from: "192.0.3.1", to: "bastion", protocol: "tcp", port: 22 })).toBe(false);
    expect(isAllowed(rules, { from: "192.0.0.0/16", to: "bastion", protocol: "tcp", port: 22 })).toBe(false);
  });

  test("port ranges and `all` protocol", () => {
    expect(isAllowed(rules, { from: "workers", to: "workers", protocol: "udp", port: 8472 })).toBe(true);
    expect(isAllowed(rules, { from: "workers", to: "workers", protocol: "udp", port: 9001 })).toBe(false);
  });

  test("membership: a colocated control plane carries the etcd group, a dedicated one does not", () => {
    const cpEgress: SgRule = {
      direction: "egress",
      group: "controlPlane",
      peer: { role: "etcd" },
      protocol: "tcp",
      fromPort: 2379,
      toPort: 2379,
      description: "x",
    };
    const flow = { from: "controlPlane", to: "controlPlane", protocol: "tcp", port: 2379 } as const;
    expect(isAllowed([...rules, cpEgress], flow, { membership: instanceGroups("colocated") })).toBe(true);
    expect(isAllowed([...rules, cpEgress], flow, { membership: instanceGroups("dedicated") })).toBe(false);
  });

  test("provider inputs convert back to rules; an unknown group or peer is an error, never ignored", () => {
    const roles = { "sg-1": "workers", "sg-2": "controlPlane" } as const;
    expect(
      rulesFromProvider(
        roles,
        [
          {
            securityGroupId: "sg-1",
            referencedSecurityGroupId: "sg-2",
            ipProtocol: "tcp",
            fromPort: 10250,
            toPort: 10250,
            description: "d",
          },
        ],
        [{ securityGroupId: "sg-1", cidrIpv4: "0.0.0.0/0", ipProtocol: "-1" }],
      ),
    ).toEqual([
      {
        direction: "ingress",
        group: "workers",
        peer: { role: "controlPlane" },
        protocol: "tcp",
        fromPort: 10250,
        toPort: 10250,
        description: "d",
      },
      { direction: "egress", group: "workers", peer: { cidr: "0.0.0.0/0" }, protocol: "all", fromPort: 0, toPort: 0, description: "" },
    ]);
    expect(() => rulesFromProvider(roles, [{ securityGroupId: "sg-9", cidrIpv4: "1.2.3.4/32", ipProtocol: "tcp" }], [])).toThrow(
      /unknown security group sg-9/,
    );
    expect(() => rulesFromProvider(roles, [{ securityGroupId: "sg-1", referencedSecurityGroupId: "sg-9", ipProtocol: "tcp" }], [])).toThrow(
      /references unknown/,
    );
    expect(() => rulesFromProvider(roles, [{ securityGroupId: "sg-1", ipProtocol: "tcp" }], [])).toThrow(/neither a CIDR/);
    expect(() => rulesFromProvider(roles, [{ securityGroupId: "sg-1", cidrIpv4: "1.2.3.4/32", ipProtocol: "icmp" }], [])).toThrow(
      /unsupported protocol/,
    );
  });
});
