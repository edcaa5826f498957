/**
 * Stable identities of etcd members, pure: name, AZ, fixed private address, DNS name.
 *
 * Member `n` is `etcd-<n>`, lives in AZ `n mod azCount` (round-robin) and gets a fixed address in a
 * small block reserved at the top of that AZ's private subnet (an EC2 subnet CIDR reservation of
 * type `explicit`, so AWS never hands those addresses to anything else). Adding members or AZs
 * never moves an existing member: its AZ and address depend only on `n` and its subnet.
 */
import { PORTS } from "../core/ports";
import { ROLE_PREFIX } from "../core/roles";
import { formatCidr, hostAddress, parseCidr, size, subnet, type Cidr } from "../core/cidr";

/** Ports an etcd member listens on. */
export interface EtcdPorts {
  /** Client API (TLS, client-cert auth). @default 2379 */
  client: number;
  /** Peer (raft) traffic (TLS, client-cert auth). @default 2380 */
  peer: number;
  /** Plain-HTTP /metrics and /health, bound to 127.0.0.1 only. @default 2381 */
  metrics: number;
}

export const DEFAULT_ETCD_PORTS: Readonly<EtcdPorts> = Object.freeze({
  client: PORTS.etcdClient,
  peer: PORTS.etcdPeer,
  metrics: PORTS.etcdMetrics,
});

/** One member's identity. */
export interface EtcdMember {
  /** 0-based member index. */
  index: number;
  /** Member name, `etcd-<n>`: etcd's `name`, the certificate CN and the artifact role. */
  name: string;
  /** Index into the AZ / private subnet list (round-robin). */
  azIndex: number;
  /** Fixed private IPv4 address. */
  ip: string;
  /** `etcd-<n>.<cluster>.<domain>`: the record in the private zone, a SAN of the member's certificates. */
  dnsName: string;
}

/** Prefix length of the block reserved per private subnet for fixed member addresses. */
export const RESERVED_BLOCK_PREFIX = 28;
/** First host offset used inside the reserved block. */
export const RESERVED_BLOCK_FIRST_HOST = 4;
/** The largest member count (etcd supports 1, 3, 5 or 7). */
export const MAX_MEMBERS = 7;

/** `member n` goes to AZ `n mod azCount`. */
export function memberAzIndex(n: number, azCount: number): number {
  if (!Number.isInteger(azCount) || azCount < 1) throw new Error(`etcd: needs at least one private subnet (got ${azCount})`);
  return n % azCount;
}

/**
 * The block reserved for fixed addresses in a private subnet: the `blockFromEnd`-th /28 counted
 * from the end of the subnet (the last /28 is left alone: it holds AWS's reserved broadcast
 * address). Etcd members use `blockFromEnd = 2`; a control plane that wants fixed addresses for
 * colocated on-host etcd can use 3.
 */
export function reservedBlock(subnetCidr: string, blockFromEnd = 2): Cidr {
  const c = parseCidr(subnetCidr);
  if (!c) throw new Error(`etcd: private subnet CIDR ${JSON.stringify(subnetCidr)} is not a valid IPv4 CIDR`);
  if (c.prefix > RESERVED_BLOCK_PREFIX - 2)
    throw new Error(
      `etcd: private subnet ${subnetCidr} is too small to reserve a /${RESERVED_BLOCK_PREFIX} for fixed member addresses (needs /26 or larger)`,
    );
  const blocks = size(c) / 2 ** (32 - RESERVED_BLOCK_PREFIX);
  return subnet(c, RESERVED_BLOCK_PREFIX, blocks - blockFromEnd);
}

export function reservedBlockCidr(subnetCidr: string, blockFromEnd = 2): string {
  return formatCidr(reservedBlock(subnetCidr, blockFromEnd));
}

export interface MemberPlanInput {
  /** Cluster name (used in DNS names). */
  cluster: string;
  /** Private zone domain: names are `etcd-<n>.<cluster>.<domain>`. */
  domain: string;
  /** Member count. */
  members: number;
  /** Private subnet CIDRs, one per AZ, in AZ order. */
  subnetCidrs: string[];
  /** Which /28 from the end of each subnet holds the fixed addresses. @default 2 */
  blockFromEnd?: number;
  /** Member name prefix. @default "etcd" */
  namePrefix?: string;
}

/** A member's name in the private zone (a SAN of its certificates): `<member>.<cluster>.<domain>`. */
export function memberDnsName(member: string, cluster: string, domain: string): string {
  return `${member}.${cluster}.${domain}`;
}

/** Every member's identity; throws on a member count etcd does not support. */
export function planMembers(input: MemberPlanInput): EtcdMember[] {
  const { members, subnetCidrs } = input;
  if (![1, 3, 5, 7].includes(members)) throw new Error(`etcd: members must be 1, 3, 5 or 7 (got ${members})`);
  const prefix = input.namePrefix ?? ROLE_PREFIX.etcd;
  return Array.from({ length: members }, (_, n) => {
    const azIndex = memberAzIndex(n, subnetCidrs.length);
    const slot = Math.floor(n / subnetCidrs.length);
    const block = reservedBlock(subnetCidrs[azIndex]!, input.blockFromEnd ?? 2);
    const name = `${prefix}-${n}`;
    return {
      index: n,
      name,
      azIndex,
      ip: hostAddress(block, RESERVED_BLOCK_FIRST_HOST + slot),
      dnsName: memberDnsName(name, input.cluster, input.domain),
    };
  });
}

/** etcd's `initial-cluster`: `name=https://ip:peer,...` in member order. */
export function initialCluster(members: EtcdMember[], ports: EtcdPorts = DEFAULT_ETCD_PORTS): string {
  return members.map((m) => `${m.name}=https://${m.ip}:${ports.peer}`).join(",");
}

/** Client URLs of every member, what kube-apiserver and etcdctl use. */
export function clientEndpoints(members: EtcdMember[], ports: EtcdPorts = DEFAULT_ETCD_PORTS): string[] {
  return members.map((m) => `https://${m.ip}:${ports.client}`);
}
