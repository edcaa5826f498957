/**
 * ColocatedEtcd: etcd as a systemd service on each control-plane node (colocated + on-host).
 *
 * - Stable addresses: control-plane node `n` is member `control-plane-<n>` with a fixed IP in its own
 *   reserved /28 of its AZ's private subnet (the third from the end; dedicated members use the
 *   second), reserved with an `explicit` SubnetCidrReservation so AWS never hands it out. The
 *   ControlPlane launches node `n` on `privateIps[n]`.
 * - Per member: server and peer certificates (SANs: DNS name, short name, localhost, its IP,
 *   127.0.0.1) signed by the etcd CA; plain files (config, member env, unit, start hook, backup, restore) and
 *   secret files (CA, certificates, keys) for the node's bootstrap bundle.
 * - kubeadm gets `etcd.external` with every member's client URL; the API server's client
 *   certificate comes from ClusterPki (`externalEtcdClient: true`), the one place it is minted.
 * Stacked etcd (colocated + containerized) needs no component: see `stackedEtcdNodeFiles`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../spec/spec";
import { controlPlaneRole, ROLE_PREFIX } from "../core/roles";
import { typeToken } from "../core/tokens";
import { issueCert, memberSanInputs, type EtcdCertificateAuthority } from "./certs";
import type { EtcdSubnetRef } from "./cluster";
import { UNITS } from "../bootstrap/paths";
import { NODE_START_SCRIPT } from "./colocated-files";
import { etcdClusterToken } from "./config";
import { memberFiles } from "./member-files";
import { inputFiles, type ExtraFile } from "../bootstrap/input-files";
import { memberPkiPaths } from "./node-files";
import { etcdLayout, kubeadmExternalEtcd, type KubeadmExternalEtcd } from "../bootstrap/kubeadm-etcd";
import { clientEndpoints, memberDnsName, planMembers, reservedBlockCidr, type EtcdMember } from "./members";

/** The /28 from the end of each private subnet that holds control-plane addresses. */
export const CONTROL_PLANE_BLOCK_FROM_END = 3;
export const CONTROL_PLANE_MEMBER_PREFIX = ROLE_PREFIX.controlPlane;

/** The parts of a ClusterSpec the colocated members use (a whole ClusterSpec will do). */
export type ColocatedEtcdSpec = Pick<ClusterSpec, "name" | "region" | "availabilityZones" | "etcd" | "backup" | "api" | "controlPlane">;

export interface ColocatedEtcdArgs {
  /** What it reads of the spec; `etcd` must be colocated + on-host (members = controlPlane.count). Required. */
  spec: ColocatedEtcdSpec;
  /** Private subnets, one per AZ in `spec.availabilityZones` order (node `n` goes to subnet `n mod count`). Required. */
  privateSubnets: EtcdSubnetRef[];
  /** The etcd CA (certificate and secret key). Required. */
  ca: EtcdCertificateAuthority;
  /** Snapshot bucket name. Required. */
  backupBucketName: pulumi.Input<string>;
  /** Private hosted zone for `control-plane-<n>.<cluster>.<domain>` records. @default undefined (no records; certificates still carry the names) */
  privateZoneId?: pulumi.Input<string>;
  /** The etcd binary in the node image. @default /usr/local/bin/etcd */
  etcdBinary?: string;
}

export interface ColocatedNode {
  /** Member name, `control-plane-<n>`. */
  name: string;
  /** The node's fixed private IP. */
  privateIp: pulumi.Output<string>;
  /** Plain files (absolute paths): config, member env, unit, start hook, backup and restore. */
  files: ExtraFile[];
  /** Secret files (absolute paths): CA certificate, server and peer certificates and keys. */
  secretFiles: ExtraFile[];
}

export class ColocatedEtcd extends pulumi.ComponentResource {
  readonly members: pulumi.Output<EtcdMember[]>;
  readonly nodes: ColocatedNode[];
  /** Client URLs of every member. */
  readonly endpoints: pulumi.Output<string[]>;
  readonly kubeadmEtcd: pulumi.Output<KubeadmExternalEtcd>;
  /** What the control-plane boot runs before kubeadm, and enables after it. */
  readonly beforeKubeadm = NODE_START_SCRIPT;
  readonly enableUnits = [UNITS.etcdBackupTimer];

  constructor(name: string, args: ColocatedEtcdArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("etcd", "ColocatedEtcd"), name, {}, opts);
    const { spec } = args;
    if (etcdLayout(spec.etcd) !== "colocated-on-host")
      throw new Error(`ColocatedEtcd is for colocated on-host etcd; spec.etcd is ${spec.etcd.topology}/${spec.etcd.runtime}`);
    const count = spec.controlPlane.count;
    if (spec.etcd.members !== count)
      throw new Error(
        `ColocatedEtcd: colocated etcd has one member per control-plane node (members ${spec.etcd.members}, control plane ${count})`,
      );
    if (args.privateSubnets.length === 0) throw new Error("ColocatedEtcd: privateSubnets must list at least one subnet");
    const parent: pulumi.Resource = this; // eslint-disable-line @typescript-eslint/no-this-alias -- children name their parent
    const azCount = args.privateSubnets.length;

    this.members = pulumi.all(args.privateSubnets.map((s) => s.cidrBlock)).apply((cidrs) =>
      planMembers({
        cluster: spec.name,
        domain: spec.api.domain,
        members: count,
        subnetCidrs: cidrs,
        blockFromEnd: CONTROL_PLANE_BLOCK_FROM_END,
        namePrefix: CONTROL_PLANE_MEMBER_PREFIX,
      }),
    );
    for (const k of [...new Set(Array.from({ length: count }, (_, n) => n % azCount))]) {
      const sn = args.privateSubnets[k]!;
      new aws.ec2.SubnetCidrReservation(
        `${name}-reserved-${k}`,
        {
          subnetId: sn.id,
          cidrBlock: pulumi.output(sn.cidrBlock).apply((c) => reservedBlockCidr(c, CONTROL_PLANE_BLOCK_FROM_END)),
          reservationType: "explicit",
          description: `control-plane (colocated etcd) addresses of ${spec.name}`,
        },
        { parent },
      );
    }

    const pkiPaths = memberPkiPaths();
    this.nodes = Array.from({ length: count }, (_, n) => {
      const mName = controlPlaneRole(n);
      const member = this.members.apply((all) => all[n]!);
      const ip = member.apply((m) => m.ip);
      const dnsName = memberDnsName(mName, spec.name, spec.api.domain);
      const req = { commonName: mName, ...memberSanInputs(mName, dnsName, ip), usages: ["server_auth", "client_auth"] };
      const server = issueCert(`${name}-${mName}-server`, args.ca, req, this);
      const peer = issueCert(`${name}-${mName}-peer`, args.ca, req, this);
      if (args.privateZoneId) {
        new aws.route53.Record(
          `${name}-${mName}-dns`,
          { zoneId: args.privateZoneId, name: dnsName, type: "A", ttl: 60, records: [ip] },
          { parent },
        );
      }
      const render = ([all, bucket]: [EtcdMember[], string]) =>
        memberFiles({
          cluster: spec.name,
          region: spec.region,
          runtime: "on-host",
          config: { member: all[n]!, members: all, clusterToken: etcdClusterToken(spec.name) },
          backup: { bucket, intervalMinutes: spec.backup.intervalMinutes },
          ...(args.etcdBinary ? { etcdBinary: args.etcdBinary } : {}),
        });
      const files = inputFiles(pulumi.all([this.members, pulumi.output(args.backupBucketName)]), shapeOf(count), render);
      const secretFiles: ExtraFile[] = [
        { ...pkiPaths.ca, content: pulumi.output(args.ca.certPem) },
        { ...pkiPaths.serverCert, content: server.certPem },
        { ...pkiPaths.serverKey, content: server.privateKeyPem },
        { ...pkiPaths.peerCert, content: peer.certPem },
        { ...pkiPaths.peerKey, content: peer.privateKeyPem },
      ];
      return { name: mName, privateIp: ip, files, secretFiles };
    });
    this.endpoints = this.members.apply((m) => clientEndpoints(m));
    this.kubeadmEtcd = this.endpoints.apply(kubeadmExternalEtcd);
    this.registerOutputs({ endpoints: this.endpoints, privateIps: this.nodes.map((x) => x.privateIp), kubeadmEtcd: this.kubeadmEtcd });
  }
}

/** Only used to learn the (static) paths and modes of the rendered files. */
const SHAPE_MEMBER: EtcdMember = { index: 0, name: "m", azIndex: 0, ip: "192.0.2.1", dnsName: "m.example" };
const shapeOf = (count: number): [EtcdMember[], string] => [
  Array.from({ length: count }, (_, index) => ({ ...SHAPE_MEMBER, index })),
  "bucket",
];
