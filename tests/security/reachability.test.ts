/**
 * Who may reach whom, evaluated from the security-group rules RECORDED under mocks (the inputs of
 * every aws.vpc.SecurityGroupIngressRule/EgressRule the components created), and from the pure rule
 * list the components were built from: both must give the flow matrix and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { inputs, ofType, recordProgram } from "../helpers/record";
import { Environment } from "../../components/environment/environment";
import { bastionRules, clusterRules, instanceGroups, ROLES, type Role, type SgRule } from "../../components/security/rules";
import { isAllowed, rulesFromProvider, type EvaluateOptions, type Flow, type ProviderRuleInputs } from "../../components/security/evaluate";
import type { ClusterSpec } from "../../components/spec/spec";
import { ClusterSecurityGroups } from "../../components/security/groups";
import { ApiEndpoint } from "../../components/api-endpoint/api-endpoint";
import { capture, specFor } from "../network/fixtures";

interface World {
  spec: ClusterSpec;
  recorded: SgRule[];
  pure: SgRule[];
  opts: EvaluateOptions;
  errors: string[];
}

/** Records an environment and the cluster's groups and API endpoint, and reads back every rule. */
async function world(spec: ClusterSpec): Promise<World> {
  let nat: { value?: string[] } = {};
  const rec = await recordProgram(() => {
    const env = new Environment(spec.name, { spec, bastionImageId: "ami-0123456789abcdef0" });
    // Wired as the Cluster component wires them.
    const groups = new ClusterSecurityGroups(`${spec.name}-sg`, {
      spec,
      vpcId: env.vpc.vpcId,
      bastionSecurityGroupId: env.bastion?.securityGroupId,
      natPublicIps: env.vpc.natPublicIps,
    });
    new ApiEndpoint(`${spec.name}-api`, {
      spec,
      vpcId: env.vpc.vpcId,
      publicSubnetIds: env.vpc.publicSubnetIds,
      privateSubnetIds: env.vpc.privateSubnetIds,
      securityGroupId: groups.groupIds.apiLb,
      privateZoneId: env.zoneId,
    });
    nat = capture(pulumi.all(env.vpc.natPublicIps));
  });
  const groupRoles: Record<string, Role> = {};
  for (const sg of ofType(rec, "aws:ec2/securityGroup:SecurityGroup")) {
    const role = ROLES.find((r) => sg.name === `${spec.name}-sg-${r}`) ?? (sg.name === `${spec.name}-bastion-sg` ? "bastion" : undefined);
    if (role) groupRoles[sg.id!] = role;
  }
  const endpointsSg = ofType(rec, "aws:ec2/securityGroup:SecurityGroup").find((s) => s.name.endsWith("-endpoints"))?.id;
  const pick = (type: string) =>
    ofType(rec, type)
      .map((r) => inputs(r) as ProviderRuleInputs)
      .filter((r) => r.securityGroupId !== endpointsSg);
  const recorded = rulesFromProvider(
    groupRoles,
    pick("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
    pick("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
  );
  const natIps = nat.value ?? [];
  const pure = [
    ...bastionRules({ sshAllowlist: spec.bastion.sshAllowlist, vpcCidr: spec.network.vpcCidr, apiExposure: spec.api.exposure }),
    ...clusterRules({
      bastion: true,
      sshAllowlist: spec.bastion.sshAllowlist,
      apiExposure: spec.api.exposure,
      apiAllowedCidrs: spec.api.allowedCidrs,
      vpcCidr: spec.network.vpcCidr,
      natEgress: spec.api.exposure === "public",
    }),
  ];
  return {
    spec,
    recorded,
    pure,
    opts: { vpcCidr: spec.network.vpcCidr, natIps, membership: instanceGroups(spec.etcd.topology) },
    errors: rec.errors,
  };
}

type Row = [from: Role | string, to: Role, protocol: "tcp" | "udp", port: number, allowed: boolean, why: string];

function check(w: World, rows: Row[]): void {
  expect(w.errors).toEqual([]);
  expect(w.recorded.length).toBeGreaterThan(20);
  const bad: string[] = [];
  for (const [from, to, protocol, port, allowed, why] of rows) {
    const flow: Flow = { from, to, protocol, port };
    for (const [src, rules] of [
      ["recorded", w.recorded],
      ["pure", w.pure],
    ] as const) {
      if (isAllowed(rules, flow, w.opts) !== allowed)
        bad.push(`${src}: ${from} -> ${to} ${protocol}/${port} should be ${allowed ? "allowed" : "DENIED"} (${why})`);
    }
  }
  expect(bad).toEqual([]);
}

const ALLOW = true;
const DENY = false;
const CLIENT = "203.0.113.5"; // in api.allowedCidrs of the public tiers
const ADMIN = "192.0.2.10"; // in the dev bastion's SSH allowlist
const INTERNET = "8.8.8.8";

describe("reachability: dev (internet-facing API, SSH allowlist, colocated etcd)", () => {
  let w: World;
  beforeAll(async () => {
    w = await world(specFor("dev"));
  });

  test("the flow table", () => {
    check(w, [
      [ADMIN, "bastion", "tcp", 22, ALLOW, "SSH from the allowlist"],
      [INTERNET, "bastion", "tcp", 22, DENY, "SSH from outside the allowlist"],
      [ADMIN, "bastion", "tcp", 3389, DENY, "only port 22 on the bastion"],
      [ADMIN, "workers", "tcp", 22, DENY, "nodes are reached through the bastion"],
      ["bastion", "workers", "tcp", 22, ALLOW, "bastion to nodes"],
      ["bastion", "controlPlane", "tcp", 22, ALLOW, "bastion to nodes"],
      ["bastion", "etcd", "tcp", 22, ALLOW, "bastion to nodes"],
      [CLIENT, "apiLb", "tcp", 6443, ALLOW, "allowlisted API client"],
      [INTERNET, "apiLb", "tcp", 6443, DENY, "API client outside the allowlist"],
      [CLIENT, "controlPlane", "tcp", 6443, DENY, "clients go through the load balancer"],
      ["apiLb", "controlPlane", "tcp", 6443, ALLOW, "load balancer to the API servers"],
      ["apiLb", "workers", "tcp", 6443, DENY, "the load balancer targets only the control plane"],
      ["apiLb", "controlPlane", "tcp", 10250, DENY, "the load balancer reaches 6443 only"],
      ["workers", "controlPlane", "tcp", 6443, ALLOW, "nodes to the API"],
      ["workers", "apiLb", "tcp", 6443, ALLOW, "nodes to the API name, via their NAT"],
      ["controlPlane", "apiLb", "tcp", 6443, ALLOW, "control plane kubelets to the API name, via NAT"],
      ["controlPlane", "controlPlane", "tcp", 2379, ALLOW, "API server to colocated etcd"],
      ["controlPlane", "controlPlane", "tcp", 2380, ALLOW, "colocated etcd peers"],
      ["etcd", "controlPlane", "tcp", 2379, ALLOW, "an etcd member reaches a colocated member's client URL"],
      ["etcd", "workers", "tcp", 2379, DENY, "workers run no etcd"],
      ["workers", "controlPlane", "tcp", 2379, DENY, "a worker cannot reach etcd"],
      ["workers", "etcd", "tcp", 2379, DENY, "a worker cannot reach etcd"],
      ["workers", "controlPlane", "tcp", 2380, DENY, "a worker cannot reach etcd peers"],
      ["bastion", "etcd", "tcp", 2380, DENY, "the bastion cannot reach etcd peers"],
      ["bastion", "controlPlane", "tcp", 2379, DENY, "the bastion cannot reach etcd"],
      ["controlPlane", "workers", "tcp", 10250, ALLOW, "API server to kubelets"],
      ["controlPlane", "controlPlane", "tcp", 10250, ALLOW, "API server to control-plane kubelets"],
      [INTERNET, "workers", "tcp", 10250, DENY, "the internet cannot reach a kubelet"],
      ["workers", "workers", "tcp", 10250, DENY, "only the control plane reaches kubelets"],
      ["bastion", "workers", "tcp", 10250, DENY, "only the control plane reaches kubelets"],
      ["workers", "workers", "udp", 8472, ALLOW, "CNI overlay"],
      ["workers", "controlPlane", "udp", 8472, ALLOW, "CNI overlay"],
      ["controlPlane", "workers", "tcp", 4240, ALLOW, "CNI health"],
      ["workers", "workers", "tcp", 8472, DENY, "VXLAN is UDP"],
      ["workers", "workers", "tcp", 30080, DENY, "no NodePorts between nodes (pods use the overlay)"],
      ["bastion", "apiLb", "tcp", 6443, DENY, "the operator tunnel exists only for an internal load balancer"],
    ]);
  });
});

describe("reachability: critical (internal API, SSM-only bastion, dedicated etcd)", () => {
  let w: World;
  beforeAll(async () => {
    w = await world(specFor("critical"));
  });

  test("the flow table", () => {
    check(w, [
      [ADMIN, "bastion", "tcp", 22, DENY, "an empty allowlist means no SSH ingress at all"],
      [INTERNET, "bastion", "tcp", 22, DENY, "no SSH ingress at all"],
      ["bastion", "workers", "tcp", 22, ALLOW, "SSM session on the bastion, then SSH to nodes"],
      ["bastion", "etcd", "tcp", 22, ALLOW, "bastion to etcd members"],
      ["bastion", "apiLb", "tcp", 6443, ALLOW, "operator tunnel to the internal API"],
      [CLIENT, "apiLb", "tcp", 6443, DENY, "no client allowlist"],
      ["workers", "apiLb", "tcp", 6443, ALLOW, "nodes to the internal load balancer"],
      ["apiLb", "controlPlane", "tcp", 6443, ALLOW, "load balancer to the API servers"],
      ["controlPlane", "etcd", "tcp", 2379, ALLOW, "API server to dedicated etcd"],
      ["etcd", "etcd", "tcp", 2380, ALLOW, "etcd peers"],
      ["etcd", "etcd", "tcp", 2379, ALLOW, "members reach each other's client URLs (etcdctl health, the backup script)"],
      ["etcd", "controlPlane", "tcp", 2379, DENY, "no etcd on the control plane when it is dedicated"],
      ["etcd", "controlPlane", "tcp", 2380, DENY, "no etcd peer on the control plane when it is dedicated"],
      ["controlPlane", "etcd", "tcp", 2380, DENY, "the control plane is no etcd peer when etcd is dedicated"],
      ["controlPlane", "controlPlane", "tcp", 2379, DENY, "no etcd on the control plane when it is dedicated"],
      ["workers", "etcd", "tcp", 2379, DENY, "a worker cannot reach etcd"],
      ["bastion", "etcd", "tcp", 2380, DENY, "the bastion cannot reach etcd peers"],
      ["bastion", "etcd", "tcp", 2379, DENY, "the bastion cannot reach etcd"],
      ["etcd", "controlPlane", "tcp", 6443, DENY, "etcd members need no API"],
      ["etcd", "workers", "tcp", 10250, DENY, "only the control plane reaches kubelets"],
      ["etcd", "workers", "udp", 8472, DENY, "etcd members are not in the overlay"],
      ["controlPlane", "workers", "tcp", 10250, ALLOW, "API server to kubelets"],
      [INTERNET, "workers", "tcp", 10250, DENY, "the internet cannot reach a kubelet"],
      ["workers", "controlPlane", "udp", 8472, ALLOW, "CNI overlay"],
      ["workers", "workers", "tcp", 4240, ALLOW, "CNI health"],
    ]);
  });
});

/**
 * The matrix written out per tier: every (source, destination, protocol, port) that must be
 * allowed. Everything else scanned must be denied.
 */
function expectedMatrix(spec: ClusterSpec): Set<string> {
  const s = new Set<string>();
  const add = (from: string, to: string, proto: string, port: number) => s.add(`${from}>${to}:${proto}/${port}`);
  const kubelet = ["controlPlane", "workers"];
  for (const a of spec.bastion.sshAllowlist) add(a.replace(/0\/24$/, "10"), "bastion", "tcp", 22);
  for (const n of ["controlPlane", "etcd", "workers"]) add("bastion", n, "tcp", 22);
  for (const c of spec.api.allowedCidrs) add(c.replace(/0\/24$/, "5"), "apiLb", "tcp", 6443);
  add("apiLb", "controlPlane", "tcp", 6443);
  for (const n of kubelet) {
    add(n, "controlPlane", "tcp", 6443);
    add(n, "apiLb", "tcp", 6443);
    add("controlPlane", n, "tcp", 10250);
    for (const m of kubelet) {
      add(n, m, "udp", 8472);
      add(n, m, "tcp", 4240);
    }
  }
  if (spec.api.exposure === "private") add("bastion", "apiLb", "tcp", 6443);
  // Only the control plane's and etcd's groups reach 2379; only etcd's reaches 2380.
  add("controlPlane", "etcd", "tcp", 2379);
  add("etcd", "etcd", "tcp", 2379);
  add("etcd", "etcd", "tcp", 2380);
  if (spec.etcd.topology === "colocated") {
    // Control-plane instances are etcd members too (they carry the etcd group).
    for (const [a, b] of [
      ["controlPlane", "controlPlane"],
      ["etcd", "controlPlane"],
    ])
      add(a!, b!, "tcp", 2379);
    for (const [a, b] of [
      ["controlPlane", "controlPlane"],
      ["controlPlane", "etcd"],
      ["etcd", "controlPlane"],
    ])
      add(a!, b!, "tcp", 2380);
  }
  return s;
}

describe("nothing else: an exhaustive scan of sources, roles and ports", () => {
  const PORTS = [22, 53, 80, 443, 2379, 2380, 2381, 4240, 4244, 6443, 8472, 10250, 10255, 10256, 10257, 10259, 30080];
  test.each(["dev", "standard", "critical"] as const)("tier %s", async (tier) => {
    const w = await world(specFor(tier));
    expect(w.errors).toEqual([]);
    const sources = [...ROLES, ADMIN, CLIENT, INTERNET, "10.0.5.5"];
    const got: string[] = [];
    for (const from of sources)
      for (const to of ROLES)
        for (const protocol of ["tcp", "udp"] as const)
          for (const port of PORTS) {
            const r = isAllowed(w.recorded, { from, to, protocol, port }, w.opts);
            expect(isAllowed(w.pure, { from, to, protocol, port }, w.opts)).toBe(r);
            if (r) got.push(`${from}>${to}:${protocol}/${port}`);
          }
    expect(got.sort()).toEqual([...expectedMatrix(w.spec)].sort());
  });
});
