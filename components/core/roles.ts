/**
 * Machine role names, their one source: a role names a node's artifacts, its IAM role, its bundle secret
 * and (for etcd members) the member. Control-plane node n is `control-plane-<n>` (and, with colocated
 * etcd, that member's name too), a pool's workers are `worker-<pool>`, dedicated member n is `etcd-<n>`.
 */

/** The prefix of each kind of machine role. */
export const ROLE_PREFIX = { controlPlane: "control-plane", worker: "worker", etcd: "etcd" } as const;

/** Control-plane node `index`. */
export function controlPlaneRole(index: number): string {
  return `${ROLE_PREFIX.controlPlane}-${index}`;
}

/** The workers of a pool. */
export function workerRole(pool: { name: string }): string {
  return `${ROLE_PREFIX.worker}-${pool.name}`;
}

/** Dedicated etcd member `index`. */
export function etcdMemberRole(index: number): string {
  return `${ROLE_PREFIX.etcd}-${index}`;
}
