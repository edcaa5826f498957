/**
 * The cluster's security-group rule set, as pure data: one group per role, every rule naming its
 * peer (a role's group, a CIDR, or the cluster's NAT egress addresses), protocol, ports and why it
 * exists. The components create exactly these rules; the evaluator (evaluate.ts) answers "who may
 * reach whom" from them, or from the rules recorded under mocks.
 *
 * Flow matrix (ingress; egress mirrors it, plus HTTPS out for AWS APIs and registries):
 *   allowlist CIDRs -> bastion 22           (only when the allowlist is not empty)
 *   bastion         -> nodes 22             (control plane, etcd, workers)
 *   API clients     -> apiLb 6443           (api.allowedCidrs)
 *   nodes           -> apiLb 6443           (internal LB: by group; internet-facing LB: from the NAT addresses)
 *   apiLb           -> controlPlane 6443    (traffic and the /readyz health check)
 *   nodes           -> controlPlane 6443
 *   controlPlane    -> etcd 2379            (client)
 *   etcd            <-> etcd 2379           (client: health checks and the backup script against other members)
 *   etcd            <-> etcd 2380           (peer)
 *   controlPlane    -> kubelet 10250        (control plane and workers)
 *   node            <-> node UDP 8472, TCP 4240 (Cilium VXLAN overlay and health; all pod traffic rides the overlay)
 *   bastion         -> apiLb 6443           (only for an internal LB: the operator's tunnel; see docs/network.md)
 * Nothing else. Colocated etcd: control-plane instances carry the etcd group too, so these same rules
 * apply to them and nothing extra is needed.
 */
import { PORTS } from "../core/ports";

export const ROLES = ["bastion", "apiLb", "controlPlane", "etcd", "workers"] as const;
export type Role = (typeof ROLES)[number];
/** Roles whose instances sit in the private subnets (their internet traffic leaves through a NAT gateway). */
export const PRIVATE_ROLES: readonly Role[] = ["controlPlane", "etcd", "workers"];

export type Protocol = "tcp" | "udp" | "all";

/** Who a rule lets in (ingress) or out to (egress). */
export type Peer =
  | { role: Role }
  | { cidr: string }
  /** The cluster's NAT gateways' public addresses (expanded to one /32 rule per NAT by the component). */
  | { natEgress: true };

export interface SgRule {
  direction: "ingress" | "egress";
  /** The group the rule belongs to. */
  group: Role;
  peer: Peer;
  protocol: Protocol;
  /** First port (ignored for `all`). */
  fromPort: number;
  /** Last port (ignored for `all`). */
  toPort: number;
  description: string;
}

export interface RuleContext {
  /** Whether a bastion exists. */
  bastion: boolean;
  /** CIDRs allowed to SSH to the bastion; empty means none (SSM only). */
  sshAllowlist: string[];
  /** `public`: internet-facing API load balancer; `private`: internal. */
  apiExposure: "public" | "private";
  /** CIDRs allowed to reach the API load balancer. */
  apiAllowedCidrs: string[];
  /** The VPC range (the bastion's egress to nodes is by range: it exists before any cluster's groups). */
  vpcCidr: string;
  /** Whether the cluster's NAT addresses are known (public exposure: nodes reach the API LB through them). */
  natEgress: boolean;
}

const ANYWHERE = "0.0.0.0/0";
const KUBELET_NODES: Role[] = ["controlPlane", "workers"];

function tcp(group: Role, direction: SgRule["direction"], peer: Peer, port: number, description: string): SgRule {
  return { direction, group, peer, protocol: "tcp", fromPort: port, toPort: port, description };
}
function udp(group: Role, direction: SgRule["direction"], peer: Peer, port: number, description: string): SgRule {
  return { direction, group, peer, protocol: "udp", fromPort: port, toPort: port, description };
}

/** The bastion's own rules (created with the bastion, before any cluster's groups exist). */
export function bastionRules(ctx: Pick<RuleContext, "sshAllowlist" | "vpcCidr" | "apiExposure">): SgRule[] {
  const r: SgRule[] = ctx.sshAllowlist.map((cidr) =>
    tcp("bastion", "ingress", { cidr }, PORTS.ssh, `SSH to the bastion from allowlisted ${cidr}`),
  );
  r.push(tcp("bastion", "egress", { cidr: ctx.vpcCidr }, PORTS.ssh, "SSH from the bastion to nodes in the VPC"));
  r.push(tcp("bastion", "egress", { cidr: ANYWHERE }, PORTS.https, "HTTPS to AWS APIs (SSM Session Manager)"));
  if (ctx.apiExposure === "private")
    r.push(tcp("bastion", "egress", { cidr: ctx.vpcCidr }, PORTS.api, "Operator tunnel to the internal API load balancer"));
  return r;
}

/** The rules of the cluster's groups (apiLb, controlPlane, etcd, workers). */
export function clusterRules(ctx: RuleContext): SgRule[] {
  const r: SgRule[] = [];
  // API load balancer.
  for (const cidr of ctx.apiAllowedCidrs)
    r.push(tcp("apiLb", "ingress", { cidr }, PORTS.api, `Kubernetes API clients from allowlisted ${cidr}`));
  if (ctx.apiExposure === "private") {
    for (const role of KUBELET_NODES) r.push(tcp("apiLb", "ingress", { role }, PORTS.api, `Kubernetes API from ${role} nodes`));
    if (ctx.bastion) r.push(tcp("apiLb", "ingress", { role: "bastion" }, PORTS.api, "Kubernetes API through the bastion tunnel"));
  } else if (ctx.natEgress) {
    r.push(tcp("apiLb", "ingress", { natEgress: true }, PORTS.api, "Kubernetes API from cluster nodes via their NAT gateway"));
  }
  r.push(tcp("apiLb", "egress", { role: "controlPlane" }, PORTS.api, "API traffic and /readyz health checks to the control plane"));

  // Control plane.
  r.push(tcp("controlPlane", "ingress", { role: "apiLb" }, PORTS.api, "Kubernetes API from the API load balancer"));
  for (const role of KUBELET_NODES) r.push(tcp("controlPlane", "ingress", { role }, PORTS.api, `Kubernetes API from ${role} nodes`));
  r.push(tcp("controlPlane", "egress", { role: "controlPlane" }, PORTS.api, "Kubernetes API on the control plane"));
  r.push(tcp("controlPlane", "egress", { role: "etcd" }, PORTS.etcdClient, "etcd client traffic from the API server"));
  if (ctx.apiExposure === "private")
    r.push(tcp("controlPlane", "egress", { role: "apiLb" }, PORTS.api, "Kubernetes API through the internal load balancer"));
  else
    r.push(
      tcp("controlPlane", "egress", { cidr: ANYWHERE }, PORTS.api, "Kubernetes API through the internet-facing load balancer (via NAT)"),
    );
  r.push(tcp("controlPlane", "egress", { cidr: ANYWHERE }, PORTS.https, "HTTPS to AWS APIs and image registries"));

  // Kubelet and the CNI, between every kubelet-running node.
  for (const group of KUBELET_NODES) {
    r.push(tcp(group, "ingress", { role: "controlPlane" }, PORTS.kubelet, "kubelet API from the API server"));
    for (const role of KUBELET_NODES) {
      r.push(udp(group, "ingress", { role }, PORTS.vxlan, `Cilium VXLAN overlay from ${role} nodes`));
      r.push(tcp(group, "ingress", { role }, PORTS.ciliumHealth, `Cilium health checks from ${role} nodes`));
    }
  }
  for (const role of KUBELET_NODES) {
    r.push(tcp("controlPlane", "egress", { role }, PORTS.kubelet, `kubelet API on ${role} nodes`));
    r.push(udp("controlPlane", "egress", { role }, PORTS.vxlan, `Cilium VXLAN overlay to ${role} nodes`));
    r.push(tcp("controlPlane", "egress", { role }, PORTS.ciliumHealth, `Cilium health checks to ${role} nodes`));
  }

  // etcd (dedicated members, and control-plane instances when colocated).
  r.push(tcp("etcd", "ingress", { role: "controlPlane" }, PORTS.etcdClient, "etcd client traffic from the API server"));
  r.push(tcp("etcd", "ingress", { role: "etcd" }, PORTS.etcdClient, "etcd client traffic between members (health checks, backups)"));
  r.push(tcp("etcd", "egress", { role: "etcd" }, PORTS.etcdClient, "etcd client traffic between members (health checks, backups)"));
  r.push(tcp("etcd", "ingress", { role: "etcd" }, PORTS.etcdPeer, "etcd peer traffic between members"));
  r.push(tcp("etcd", "egress", { role: "etcd" }, PORTS.etcdPeer, "etcd peer traffic between members"));
  r.push(tcp("etcd", "egress", { cidr: ANYWHERE }, PORTS.https, "HTTPS to AWS APIs (snapshots to S3, secrets)"));

  // Workers: workloads decide their own egress (restrict it with network policies in the cluster).
  r.push({
    direction: "egress",
    group: "workers",
    peer: { cidr: ANYWHERE },
    protocol: "all",
    fromPort: 0,
    toPort: 0,
    description: "Workload egress (restrict with network policies)",
  });

  // SSH from the bastion.
  if (ctx.bastion)
    for (const group of ["controlPlane", "etcd", "workers"] as Role[])
      r.push(tcp(group, "ingress", { role: "bastion" }, PORTS.ssh, "SSH from the bastion"));
  return r;
}

/** The groups an instance of each kind carries: colocated control-plane instances carry the etcd group too. */
export function instanceGroups(etcdTopology: "colocated" | "dedicated"): Record<"bastion" | "controlPlane" | "etcd" | "workers", Role[]> {
  return {
    bastion: ["bastion"],
    controlPlane: etcdTopology === "colocated" ? ["controlPlane", "etcd"] : ["controlPlane"],
    etcd: ["etcd"],
    workers: ["workers"],
  };
}

function peerSlug(p: Peer): string {
  if ("role" in p) return p.role;
  if ("cidr" in p) return `cidr-${p.cidr.replace(/[./]/g, "-")}`;
  return "nat";
}

/** A stable, unique name suffix for a rule: `<group>-<in|out>-<peer>-<proto>-<ports>`. */
export function ruleSlug(r: SgRule): string {
  const ports =
    r.protocol === "all" ? "all" : r.fromPort === r.toPort ? `${r.protocol}-${r.fromPort}` : `${r.protocol}-${r.fromPort}-${r.toPort}`;
  return `${r.group}-${r.direction === "ingress" ? "in" : "out"}-${peerSlug(r.peer)}-${ports}`;
}
