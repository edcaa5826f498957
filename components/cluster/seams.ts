/**
 * What a Cluster needs from the pieces around it, as plain typed interfaces. The Environment
 * provides the network side; the bootstrap side (PKI, per-role secrets, user data stubs) and the
 * API endpoint are built by the Cluster itself unless a caller passes its own implementation.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { NodePoolSpec } from "../spec/spec";
import type { ControlPlaneNode } from "../control-plane/placement";

/** The API front door the control plane registers in. */
export interface ClusterApiEndpoint {
  /** The stable API DNS name (`api.<cluster>.<domain>`). */
  apiName: string;
  /** The target group (TCP 6443) control-plane nodes register in. */
  targetGroupArn: pulumi.Input<string>;
}

/** One machine role's boot: a user data stub (no secret) and the identity that may read its secret. */
export interface RoleBoot {
  /** User data (plain text, cloud-config stub). Required. */
  userData: pulumi.Input<string>;
  /** The instance profile of this role: its IAM is part of its boot. Required. */
  instanceProfileName: pulumi.Input<string>;
  /** The IAM role behind it. @default undefined */
  roleName?: pulumi.Input<string>;
  /** (control plane) The node's fixed private IP, e.g. a colocated on-host etcd member's address. @default undefined (assigned by AWS) */
  privateIp?: pulumi.Input<string>;
}

/**
 * The bootstrap side of a cluster: trust (PKI), per-role boot material, and the admin kubeconfig.
 * `kubeadmBootstrap` (components/cluster/bootstrap.ts) builds it from ClusterPki and RoleBootstrap.
 */
export interface ClusterBootstrap {
  /** Boot of control-plane node `node` (the node the init marker picks inits, the others join --control-plane). */
  controlPlane(node: ControlPlaneNode): RoleBoot;
  /** Boot of a worker pool's nodes (join with the pool's labels and taints). */
  worker(pool: NodePoolSpec): RoleBoot;
  /** The KMS key encrypting the bootstrap secrets. @default undefined */
  kmsKeyArn?: pulumi.Input<string>;
  /** The admin kubeconfig (secret). */
  adminKubeconfig: pulumi.Output<string>;
  /** Resources the control plane must come after (e.g. dedicated etcd members). @default [] */
  controlPlaneAfter?: pulumi.Resource[];
}
