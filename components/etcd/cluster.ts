/**
 * EtcdCluster: dedicated etcd members (on-host systemd or containerized static pod), one per
 * `etcd-<n>`, spread round-robin over the AZs.
 *
 * Stable identity: each member owns an ENI with a fixed address in a reserved block of its AZ's
 * private subnet (used as the instance's primary interface, never deleted with the instance), an
 * encrypted EBS data volume (protected, retained) and, with a private zone, the record
 * `etcd-<n>.<cluster>.<domain>`. A replaced instance gets the same ENI, address and volume, so it
 * rejoins as the same member with its data.
 *
 * One at a time: every member's instance depends on the previous member's volume attachment, so
 * Pulumi creates, updates and replaces members strictly in order (the Node SDK does not register a
 * resource before its dependencies finished); instances are deleted before they are replaced (the
 * ENI and volume can only be attached once), so at most one member is ever down.
 *
 * One boot path: each member is the role `etcd-<n>` of a RoleBootstrap, booted like every other role
 * (docs/bootstrap.md, "How a node boots"): its bundle (the cluster's bootstrap KMS key) carries its keys and
 * its files, the common boot runs `etcd-member-boot` instead of kubeadm. Least privilege: the role's own IAM
 * role reads only its own bundle and writes this cluster's snapshots. The API server's etcd client
 * certificate is not minted here: ClusterPki (`externalEtcdClient: true`) is its one source.
 */
import type { RoleExtension } from "../bootstrap/extensions";
import { NODE_METADATA_OPTIONS, instanceRootVolume } from "../core/instance";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RoleBootstrap } from "../bootstrap/role-bootstrap";
import type { ClusterSpec } from "../spec/spec";
import { clusterTags, ROLE_TAGS } from "../core/tags";
import { etcdMemberRole } from "../core/roles";
import { typeToken } from "../core/tokens";
import { lookupImage } from "../images/lookup";
import { renderMemberFiles } from "./boot";
import { issueCert, memberSanInputs, type EtcdCertificateAuthority } from "./certs";
import { etcdClusterToken } from "./config";
import { etcdLayout, kubeadmExternalEtcd, type KubeadmExternalEtcd } from "../bootstrap/kubeadm-etcd";
import { clientEndpoints, memberDnsName, planMembers, reservedBlockCidr, type EtcdMember } from "./members";
import { DATA_VOLUME_DEVICE } from "./node-files";
import { etcdMemberBackupPolicy } from "./policy";

export interface EtcdSubnetRef {
  /** Subnet id. */
  id: pulumi.Input<string>;
  /** Its CIDR (fixed member addresses are computed from it). */
  cidrBlock: pulumi.Input<string>;
  /** Its AZ name. */
  availabilityZone: string;
}

export interface EtcdBackupTarget {
  /** Bucket name (BackupBucket.bucketName). */
  bucketName: pulumi.Input<string>;
  /** Bucket ARN (BackupBucket.bucketArn). */
  bucketArn: pulumi.Input<string>;
  /** The bucket's KMS key, if it uses SSE-KMS. @default undefined */
  kmsKeyArn?: pulumi.Input<string>;
}

/** The parts of a ClusterSpec the dedicated members use (a whole ClusterSpec will do). */
export type EtcdClusterSpec = Pick<
  ClusterSpec,
  "name" | "region" | "availabilityZones" | "versions" | "etcd" | "backup" | "api" | "deletionProtection" | "tags" | "images"
>;

export interface EtcdClusterArgs {
  /** What it reads of the cluster spec (name, region, AZs, versions, etcd, backup, api.domain, deletionProtection, tags, images). Required; `etcd.topology` must be `dedicated`. */
  spec: EtcdClusterSpec;
  /** Private subnets, one per AZ, in `spec.availabilityZones` order. Required. */
  privateSubnets: EtcdSubnetRef[];
  /** Security groups of the members (the etcd group: 2379 from control plane and etcd, 2380 from etcd). Required. */
  securityGroupIds: pulumi.Input<string>[];
  /** The etcd CA (certificate and secret key). Required. */
  ca: EtcdCertificateAuthority;
  /** Where snapshots go. Required. */
  backup: EtcdBackupTarget;
  /** Private hosted zone for `etcd-<n>.<cluster>.<domain>` records. @default undefined (no records; certificates still carry the names) */
  privateZoneId?: pulumi.Input<string>;
  /** The cluster's bootstrap KMS key (BootstrapKey.keyArn): it encrypts each member's bundle. Required. */
  bootstrapKmsKeyArn: pulumi.Input<string>;
  /** KMS key for data volumes and root volumes. @default undefined (AWS-managed keys) */
  kmsKeyArn?: pulumi.Input<string>;
  /** AMI for the members. @default the node image of the version manifest (or `spec.images.nodeAmi`) */
  imageId?: pulumi.Input<string>;
  /** The etcd binary in the image (on-host). @default /usr/local/bin/etcd */
  etcdBinary?: string;
  /** Root volume size, GiB. @default 30 */
  rootVolumeGiB?: number;
  /** The user's own files and units on every member (`ClusterExtensions.etcd`). @default undefined (none) */
  extension?: RoleExtension;
}

export interface EtcdMemberOutputs {
  name: string;
  availabilityZone: string;
  ip: pulumi.Output<string>;
  dnsName: string;
  instanceId: pulumi.Output<string>;
  volumeId: pulumi.Output<string>;
}

export class EtcdCluster extends pulumi.ComponentResource {
  readonly members: EtcdMemberOutputs[];
  /** Client URLs of every member. */
  readonly endpoints: pulumi.Output<string[]>;
  /** kubeadm ClusterConfiguration `etcd` block. */
  readonly kubeadmEtcd: pulumi.Output<KubeadmExternalEtcd>;
  /** Each member's own IAM role (reads only its own bundle), in member order. */
  readonly instanceRoleNames: pulumi.Output<string>[];

  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("etcd", "EtcdCluster"), name, {}, opts);
    const { spec } = args;
    const layout = etcdLayout(spec.etcd);
    if (layout !== "dedicated-on-host" && layout !== "dedicated-containerized")
      throw new Error(`EtcdCluster is for dedicated etcd; spec.etcd is ${spec.etcd.topology}/${spec.etcd.runtime}`);
    if (args.privateSubnets.length === 0) throw new Error("EtcdCluster: privateSubnets must list at least one subnet");
    const runtime = spec.etcd.runtime;
    const protect = spec.deletionProtection;
    const tags = (n?: string) => clusterTags(spec.name, spec.tags, n);
    const parent: pulumi.Resource = this; // eslint-disable-line @typescript-eslint/no-this-alias -- children name their parent

    // Identities: pure plan over the subnet CIDRs.
    const plan: pulumi.Output<EtcdMember[]> = pulumi
      .all(args.privateSubnets.map((s) => s.cidrBlock))
      .apply((cidrs) => planMembers({ cluster: spec.name, domain: spec.api.domain, members: spec.etcd.members, subnetCidrs: cidrs }));
    const count = spec.etcd.members;
    const azCount = args.privateSubnets.length;

    // Reserve the fixed-address block in each AZ that holds a member.
    const usedAzs = [...new Set(Array.from({ length: count }, (_, n) => n % azCount))];
    for (const k of usedAzs) {
      const sn = args.privateSubnets[k]!;
      new aws.ec2.SubnetCidrReservation(
        `${name}-reserved-${k}`,
        {
          subnetId: sn.id,
          cidrBlock: pulumi.output(sn.cidrBlock).apply((c) => reservedBlockCidr(c)),
          reservationType: "explicit",
          description: `etcd member addresses of ${spec.name}`,
        },
        { parent },
      );
    }

    const imageId =
      args.imageId ??
      lookupImage({ versions: spec.versions, variant: "node", region: spec.region, pinnedId: spec.images.nodeAmi }, { parent });
    const roleNames: pulumi.Output<string>[] = [];
    const members: EtcdMemberOutputs[] = [];
    let previous: pulumi.Resource | undefined;

    for (let n = 0; n < count; n++) {
      const mName = etcdMemberRole(n);
      const rn = `${name}-${mName}`;
      const azIndex = n % azCount;
      const subnetRef = args.privateSubnets[azIndex]!;
      const member = plan.apply((p) => p[n]!);
      const ip = member.apply((m) => m.ip);
      const dnsName = memberDnsName(mName, spec.name, spec.api.domain);

      const eni = new aws.ec2.NetworkInterface(
        `${rn}-eni`,
        {
          subnetId: subnetRef.id,
          privateIps: [ip],
          securityGroups: args.securityGroupIds,
          description: `etcd member ${mName} of ${spec.name} (stable address)`,
          tags: tags(`${spec.name}-${mName}`),
        },
        { parent },
      );

      const volume = new aws.ebs.Volume(
        `${rn}-data`,
        {
          availabilityZone: subnetRef.availabilityZone,
          type: spec.etcd.volume.type,
          size: spec.etcd.volume.sizeGiB,
          iops: spec.etcd.volume.iops,
          ...(spec.etcd.volume.type === "gp3" ? { throughput: spec.etcd.volume.throughputMiBps } : {}),
          encrypted: true,
          ...(args.kmsKeyArn ? { kmsKeyId: args.kmsKeyArn } : {}),
          finalSnapshot: true,
          tags: { ...tags(`${spec.name}-${mName}-data`), [ROLE_TAGS.etcdMember]: mName },
        },
        { parent, protect, retainOnDelete: protect },
      );

      const server = issueCert(
        `${rn}-server`,
        args.ca,
        { commonName: mName, ...memberSanInputs(mName, dnsName, ip), usages: ["server_auth", "client_auth"] },
        this,
      );
      const peer = issueCert(
        `${rn}-peer`,
        args.ca,
        { commonName: mName, ...memberSanInputs(mName, dnsName, ip), usages: ["server_auth", "client_auth"] },
        this,
      );
      // The member as a role: its bundle (keys and files), its IAM role and instance profile, its user data.
      // The alias keeps the IAM role and instance profile (same names) that EtcdCluster made before members
      // were roles: without it the new role would be created under the name the old one still holds.
      const boot = new RoleBootstrap(
        rn,
        {
          clusterName: spec.name,
          role: mName,
          region: spec.region,
          kmsKeyArn: args.bootstrapKmsKeyArn,
          values: {
            members: plan.apply((p) => JSON.stringify(p)),
            volumeId: volume.id,
            bucket: args.backup.bucketName,
            caCertPem: args.ca.certPem,
            serverCertPem: server.certPem,
            peerCertPem: peer.certPem,
          },
          secrets: { serverKeyPem: server.privateKeyPem, peerKeyPem: peer.privateKeyPem },
          extraPolicies: {
            "etcd-backup": pulumi
              .all([args.backup.bucketArn, args.backup.kmsKeyArn])
              .apply(([arn, key]) => etcdMemberBackupPolicy(arn, spec.name, key)),
          },
          tags: spec.tags,
          render: (v, s) => {
            const all = JSON.parse(v.members!) as EtcdMember[];
            return renderMemberFiles(
              {
                cluster: spec.name,
                region: spec.region,
                runtime,
                etcdVersion: spec.versions.etcd,
                config: { member: all[n]!, members: all, clusterToken: etcdClusterToken(spec.name) },
                volumeId: v.volumeId!,
                backup: { bucket: v.bucket!, intervalMinutes: spec.backup.intervalMinutes },
                ...(args.etcdBinary ? { etcdBinary: args.etcdBinary } : {}),
                ...(args.extension ? { extension: args.extension } : {}),
              },
              {
                caCertPem: v.caCertPem!,
                serverCertPem: v.serverCertPem!,
                serverKeyPem: s.serverKeyPem!,
                peerCertPem: v.peerCertPem!,
                peerKeyPem: s.peerKeyPem!,
              },
            );
          },
        },
        { parent, aliases: [{ type: typeToken("etcd", "EtcdCluster"), name: rn, parent: opts?.parent ?? pulumi.rootStackResource }] },
      );
      roleNames.push(boot.nodeRole!.roleName);

      const instance = new aws.ec2.Instance(
        rn,
        {
          ami: imageId,
          instanceType: spec.etcd.instanceType,
          iamInstanceProfile: boot.instanceProfileName!,
          primaryNetworkInterface: { networkInterfaceId: eni.id },
          userData: boot.userData,
          userDataReplaceOnChange: true,
          ebsOptimized: true,
          monitoring: true,
          metadataOptions: { ...NODE_METADATA_OPTIONS },
          rootBlockDevice: instanceRootVolume(args.rootVolumeGiB ?? 30, args.kmsKeyArn),
          tags: { ...tags(`${spec.name}-${mName}`), [ROLE_TAGS.role]: "etcd", [ROLE_TAGS.etcdMember]: mName },
        },
        {
          parent,
          deleteBeforeReplace: true,
          // Its boot reads its bundle with the role's policy: both exist before the instance does (the fetch
          // still retries while IAM propagates). And the previous member first (one at a time).
          dependsOn: [...(previous ? [previous] : []), boot.nodeRole!.rolePolicies["bootstrap-read"]!, boot.secretVersion],
        },
      );

      const attachment = new aws.ec2.VolumeAttachment(
        `${rn}-data-attachment`,
        {
          deviceName: DATA_VOLUME_DEVICE,
          volumeId: volume.id,
          instanceId: instance.id,
          stopInstanceBeforeDetaching: true,
        },
        { parent },
      );
      previous = attachment;

      if (args.privateZoneId) {
        new aws.route53.Record(`${rn}-dns`, { zoneId: args.privateZoneId, name: dnsName, type: "A", ttl: 60, records: [ip] }, { parent });
      }
      members.push({
        name: mName,
        availabilityZone: subnetRef.availabilityZone,
        ip,
        dnsName,
        instanceId: instance.id,
        volumeId: volume.id,
      });
    }

    this.members = members;
    this.endpoints = plan.apply((p) => clientEndpoints(p));
    this.kubeadmEtcd = this.endpoints.apply(kubeadmExternalEtcd);
    this.instanceRoleNames = roleNames;
    this.registerOutputs({
      endpoints: this.endpoints,
      members: members.map((m) => ({
        name: m.name,
        availabilityZone: m.availabilityZone,
        ip: m.ip,
        dnsName: m.dnsName,
        instanceId: m.instanceId,
        volumeId: m.volumeId,
      })),
      kubeadmEtcd: this.kubeadmEtcd,
    });
  }
}
