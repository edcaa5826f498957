/**
 * The ports the library relies on, their one source: security group rules, the API load balancer and its
 * health check, kubeadm's and etcd's configs, and the health URLs the boot scripts poll all read them here.
 */
export const PORTS = {
  ssh: 22,
  https: 443,
  /** kube-apiserver (kubeadm's default bind port): the API load balancer's listener and target. */
  api: 6443,
  /** etcd's client API (TLS, client-certificate auth). */
  etcdClient: 2379,
  /** etcd's peer API (TLS, peer certificates). */
  etcdPeer: 2380,
  /** etcd's plain-HTTP `/metrics` and `/health`, on loopback only. */
  etcdMetrics: 2381,
  /** The kubelet's API (the control plane reaches every node). */
  kubelet: 10250,
  /** kube-controller-manager's secure port (health checks on the node itself). */
  controllerManager: 10257,
  /** kube-scheduler's secure port (health checks on the node itself). */
  scheduler: 10259,
  /** Cilium's VXLAN overlay (UDP). */
  vxlan: 8472,
  /** Cilium's health checks. */
  ciliumHealth: 4240,
} as const;

/** `host:6443`: how kubeadm (controlPlaneEndpoint, join discovery), the kubeconfigs and the boot scripts address the API. */
export function apiHostPort(host: string): string {
  return `${host}:${PORTS.api}`;
}
