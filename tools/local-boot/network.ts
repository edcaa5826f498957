/**
 * The local VPC (docs/local-boot.md, "The machines"): a network namespace holding a bridge, the VPC's
 * router (`.1`), its DNS resolver (`.2`, as AWS puts it), the instance metadata address
 * 169.254.169.254 and the stand-ins' addresses. Each machine gets its own network namespace with
 * an `eth0` on the bridge, its private address and a default route through the router.
 * Names start with `pka-` so a cleanup finds what an earlier, killed run left behind.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parseCidr, hostAddress } from "../../components/core/cidr";

export const PREFIX = "pka-";
export const IMDS_ADDRESS = "169.254.169.254";

function ip(args: string[], allowFail = false): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface VpcAddresses {
  cidr: string;
  prefixLength: number;
  router: string;
  dns: string;
  /** The AWS API stand-in (moto). */
  aws: string;
  /** The API load balancer stand-in. */
  apiLb: string;
  /** Address of machine `i` (0-based). */
  machine(i: number): string;
}

export function vpcAddresses(cidr: string): VpcAddresses {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`invalid VPC CIDR ${cidr}`);
  return {
    cidr,
    prefixLength: Number(cidr.split("/")[1]),
    router: hostAddress(c, 1),
    dns: hostAddress(c, 2),
    aws: hostAddress(c, 3),
    apiLb: hostAddress(c, 4),
    // Machines from .20 on, in the first private subnet's range of a /16 (the pools' subnets start at the VPC base).
    machine: (i) => hostAddress(c, 20 + i),
  };
}

/** The VPC network namespace and its bridge. */
export class LocalVpc {
  readonly ns: string;
  readonly addresses: VpcAddresses;
  private readonly links: string[] = [];

  constructor(
    readonly name: string,
    cidr: string,
  ) {
    this.ns = `${PREFIX}${name}`;
    this.addresses = vpcAddresses(cidr);
  }

  get nsPath(): string {
    return `/run/netns/${this.ns}`;
  }

  create(): void {
    ip(["netns", "add", this.ns]);
    const a = this.addresses;
    const inNs = (args: string[]) => ip(["-n", this.ns, ...args]);
    inNs(["link", "set", "lo", "up"]);
    inNs(["link", "add", "br0", "type", "bridge"]);
    for (const addr of [a.router, a.dns, a.aws, a.apiLb]) inNs(["addr", "add", `${addr}/${a.prefixLength}`, "dev", "br0"]);
    inNs(["addr", "add", `${IMDS_ADDRESS}/32`, "dev", "br0"]);
    inNs(["link", "set", "br0", "up"]);
    // Processes run with `ip netns exec` read /etc/netns/<ns>/ files over /etc (the API name for kubectl).
    fs.mkdirSync(`/etc/netns/${this.ns}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${this.ns}/resolv.conf`, `nameserver ${a.dns}\n`);
  }

  /** A machine's own network namespace, plugged into the bridge with address `address`. */
  addMachine(machine: string, address: string): string {
    const ns = `${PREFIX}${this.name}-${machine}`;
    ip(["netns", "add", ns]);
    const host = `v${this.links.length}-${this.name}`.slice(0, 15);
    ip(["-n", this.ns, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    ip(["-n", this.ns, "link", "set", host, "master", "br0", "up"]);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    ip(["-n", ns, "addr", "add", `${address}/${this.addresses.prefixLength}`, "dev", "eth0"]);
    ip(["-n", ns, "link", "set", "eth0", "up"]);
    ip(["-n", ns, "route", "add", "default", "via", this.addresses.router]);
    this.links.push(ns);
    return `/run/netns/${ns}`;
  }

  /** Unplugs a stopped machine: its namespace (and with it its veth and address) goes. */
  removeMachine(machineNsPath: string): void {
    const ns = machineNsPath.replace("/run/netns/", "");
    for (const pid of ip(["netns", "pids", ns], true).split("\n").filter(Boolean))
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        /* gone */
      }
    ip(["netns", "delete", ns], true);
  }

  /** A route in a machine's namespace (pod ranges of other nodes: see cluster.ts). */
  route(machineNsPath: string, cidr: string, via: string): void {
    ip(["-n", machineNsPath.replace("/run/netns/", ""), "route", "replace", cidr, "via", via]);
  }

  /** A command in the VPC namespace. */
  execArgs(cmd: string[]): string[] {
    return ["netns", "exec", this.ns, ...cmd];
  }
}

/** Local namespaces that exist now (none once a run has cleaned up). */
export function leftNamespaces(): string[] {
  return ip(["netns", "list"], true)
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(PREFIX));
}

/** Removes every namespace a run (this one or an earlier, killed one) left, and /etc/netns files. */
export function removeAllNamespaces(): void {
  for (const line of ip(["netns", "list"], true).split("\n")) {
    const ns = line.split(" ")[0];
    if (ns?.startsWith(PREFIX)) {
      // Anything still running in it goes first (the stand-ins).
      const pids = ip(["netns", "pids", ns], true).split("\n").filter(Boolean);
      for (const pid of pids)
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          /* gone */
        }
      ip(["netns", "delete", ns], true);
      fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
}
