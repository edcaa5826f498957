/**
 * Cluster: everything one Kubernetes cluster needs inside an Environment: security groups, the API
 * endpoint, trust and bootstrap material, etcd, the control plane and the node pools, built from a
 * ClusterSpec. Programs that import the library build it without any stack config (examples/).
 */
import * as pulumi from "@pulumi/pulumi";
import { ApiEndpoint } from "../api-endpoint/api-endpoint";
import { BackupBucket, backupBucketArgsOf } from "../backup/bucket";
import type { ClusterSpec, NodePoolSpec } from "../spec/spec";
import { ControlPlane } from "../control-plane/control-plane";
import { controlPlaneNodes } from "../control-plane/placement";
import { bucketArn } from "../core/arn";
import { controlPlaneRole, workerRole } from "../core/roles";
import { typeToken } from "../core/tokens";
import { lookupImage } from "../images/lookup";
import { NodePool } from "../node-pools/node-pool";
import { effectivePool, poolImageVariant } from "../node-pools/presets";
import { ClusterSecurityGroups } from "../security/groups";
import { clusterExtensionProblems, type ClusterExtensions } from "../bootstrap/extensions";
import { checkUserDataSize } from "../bootstrap/files";
import { clusterTrust, kubeadmBootstrap } from "./bootstrap";
import { clusterEtcd, type ClusterEtcd } from "./etcd";
import type { ClusterEnvironment } from "../environment/seam";
import type { ClusterApiEndpoint, ClusterBootstrap } from "./seams";

/** Every role's user data passes the one size check, also a bootstrap passed in (EC2 would refuse it at launch). */
function sizeChecked(role: string, userData: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(userData).apply((u) => checkUserDataSize(role, u));
}

export interface ClusterArgs {
  /** The resolved spec (tier preset + overrides, or built by hand). Required. */
  spec: ClusterSpec;
  /** The Environment's network side (VPC, subnets, zone, bastion, shared backup bucket); see `clusterEnvironment(env)`. Required. */
  environment: ClusterEnvironment;
  /** The node pools. @default spec.nodePools */
  nodePools?: NodePoolSpec[];
  /** AMI ids to use instead of looking the manifest's images up. @default lookupImage() per variant (spec.images pins first) */
  images?: { node?: pulumi.Input<string>; gpu?: pulumi.Input<string> };
  /** An API endpoint built elsewhere (stable name + target group). @default an ApiEndpoint of its own (needs environment.zoneId) */
  apiEndpoint?: ClusterApiEndpoint;
  /**
   * A bootstrap built elsewhere (it then owns etcd too: dedicated members go in its `controlPlaneAfter`).
   * @default clusterTrust() + clusterEtcd() + kubeadmBootstrap(): ClusterPki, BootstrapKey, the spec's etcd, a RoleBootstrap per role
   */
  bootstrap?: ClusterBootstrap;
  /** The user's own files and systemd units per role, like Typhoon's snippets (docs/bootstrap.md, "Extensions"). @default undefined (none) */
  extensions?: ClusterExtensions;
}

export class Cluster extends pulumi.ComponentResource {
  readonly spec: ClusterSpec;
  /** The stable API DNS name. */
  readonly apiName: string;
  /** The admin kubeconfig (secret). */
  readonly adminKubeconfig: pulumi.Output<string>;
  /** Auto Scaling group name per node pool. */
  readonly nodePoolGroupNames: Record<string, pulumi.Output<string>>;
  /** How to reach the private side (from the Environment). */
  readonly bastionAccess: pulumi.Output<string | undefined>;
  /** The etcd backup bucket. */
  readonly backupBucketName: pulumi.Output<string>;
  readonly securityGroups: ClusterSecurityGroups;
  /** The API endpoint built here (undefined when one was passed in). */
  readonly apiEndpoint?: ApiEndpoint;
  readonly bootstrap: ClusterBootstrap;
  /** The cluster's etcd (undefined when a bootstrap was passed in; members of dedicated etcd in `etcd.dedicated`). */
  readonly etcd?: ClusterEtcd;
  readonly controlPlane: ControlPlane;
  readonly nodePools: Record<string, NodePool>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(typeToken("cluster", "Cluster"), name, {}, opts);
    const { spec, environment: env } = args;
    this.spec = spec;
    const pools = (args.nodePools ?? spec.nodePools).map(effectivePool);
    const names = pools.map((p) => p.name);
    if (new Set(names).size !== names.length) throw new Error(`Cluster ${name}: node pool names must be unique (${names.join(", ")})`);
    const extensionProblems = args.extensions ? clusterExtensionProblems(args.extensions, names) : [];
    if (extensionProblems.length > 0) throw new Error(`Cluster ${name}: ${extensionProblems.join("; ")}`);
    if (args.extensions && args.bootstrap)
      throw new Error(`Cluster ${name}: extensions apply to the default bootstrap; a bootstrap passed in renders its own roles`);
    const child = { parent: this };

    this.securityGroups = new ClusterSecurityGroups(
      `${name}-sg`,
      {
        spec,
        vpcId: env.vpcId,
        vpcCidr: env.vpcCidr,
        bastionSecurityGroupId: env.bastionSecurityGroupId,
        natPublicIps: env.natPublicIps,
      },
      child,
    );

    let api = args.apiEndpoint;
    if (!api) {
      if (env.zoneId === undefined)
        throw new Error(`Cluster ${name}: environment.zoneId (the private zone of ${spec.api.domain}) is needed for the API name`);
      const endpoint = new ApiEndpoint(
        `${name}-api`,
        {
          spec,
          vpcId: env.vpcId,
          publicSubnetIds: env.publicSubnetIds,
          privateSubnetIds: env.privateSubnetIds,
          securityGroupId: this.securityGroups.groupIds.apiLb,
          privateZoneId: env.zoneId,
        },
        child,
      );
      api = { apiName: endpoint.apiName, targetGroupArn: endpoint.targetGroupArn };
      this.apiEndpoint = endpoint;
    }
    this.apiName = api.apiName;

    // The Environment's shared bucket (clusterEnvironment(env) passes it); a cluster built without an
    // Environment gets a bucket of its own, with the same settings.
    let backup: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> };
    if (env.backupBucketName !== undefined) {
      const bucketName = env.backupBucketName;
      backup = { bucketName, bucketArn: env.backupBucketArn ?? pulumi.output(bucketName).apply((b) => bucketArn(spec.region, b)) };
    } else {
      const bucket = new BackupBucket(`${name}-backups`, backupBucketArgsOf(spec), child);
      backup = { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn };
    }
    this.backupBucketName = pulumi.output(backup.bucketName);

    const images = new Map<"node" | "gpu", pulumi.Input<string>>();
    const image = (variant: "node" | "gpu") => {
      let id = images.get(variant) ?? args.images?.[variant];
      if (id === undefined) {
        id = lookupImage(
          { versions: spec.versions, variant, region: spec.region, pinnedId: variant === "gpu" ? spec.images.gpuAmi : spec.images.nodeAmi },
          { parent: this },
        );
      }
      images.set(variant, id);
      return id;
    };
    const nodeImage = image("node");

    let boot = args.bootstrap;
    if (!boot) {
      // Trust first; then etcd next to the control plane; then every role's boot (IAM included).
      const trust = clusterTrust(name, spec, api.apiName, this);
      this.etcd = clusterEtcd(
        name,
        {
          spec,
          environment: env,
          pki: trust.pki,
          bootstrapKmsKeyArn: trust.key.keyArn,
          securityGroupIds: this.securityGroups.instanceGroupIds.etcd,
          imageId: nodeImage,
          backup,
          ...(args.extensions?.etcd ? { extension: args.extensions.etcd } : {}),
        },
        this,
      );
      boot = kubeadmBootstrap(
        name,
        { spec, apiName: api.apiName, pools, trust, etcd: this.etcd, backup, extensions: args.extensions },
        this,
      );
    }
    this.bootstrap = boot;

    const cpBoots = controlPlaneNodes(spec.controlPlane.count, env.privateSubnetIds.length).map((node) => boot.controlPlane(node));
    this.controlPlane = new ControlPlane(
      `${name}-cp`,
      {
        clusterName: spec.name,
        controlPlane: spec.controlPlane,
        privateSubnetIds: env.privateSubnetIds,
        securityGroupIds: this.securityGroups.instanceGroupIds.controlPlane,
        targetGroupArn: api.targetGroupArn,
        imageId: nodeImage,
        userData: cpBoots.map((b, i) => sizeChecked(controlPlaneRole(i), b.userData)),
        instanceProfileNames: cpBoots.map((b) => b.instanceProfileName),
        // Fixed addresses when the bootstrap gives every node one (colocated on-host etcd members).
        ...(cpBoots.every((b) => b.privateIp !== undefined) ? { privateIps: cpBoots.map((b) => b.privateIp!) } : {}),
        after: boot.controlPlaneAfter ?? [],
        tags: spec.tags,
      },
      child,
    );

    this.nodePools = {};
    this.nodePoolGroupNames = {};
    for (const pool of pools) {
      const w = boot.worker(pool);
      const np = new NodePool(
        `${name}-${pool.name}`,
        {
          clusterName: spec.name,
          pool,
          privateSubnetIds: env.privateSubnetIds,
          securityGroupIds: this.securityGroups.instanceGroupIds.workers,
          imageId: image(poolImageVariant(pool)),
          instanceProfileName: w.instanceProfileName,
          userData: sizeChecked(workerRole(pool), w.userData),
          tags: spec.tags,
        },
        child,
      );
      this.nodePools[pool.name] = np;
      this.nodePoolGroupNames[pool.name] = np.autoScalingGroupName;
    }

    this.adminKubeconfig = pulumi.secret(boot.adminKubeconfig);
    this.bastionAccess = pulumi.output(env.bastionAccess);
    this.registerOutputs({
      apiName: this.apiName,
      adminKubeconfig: this.adminKubeconfig,
      nodePoolGroupNames: this.nodePoolGroupNames,
      bastionAccess: this.bastionAccess,
      backupBucketName: this.backupBucketName,
    });
  }
}
