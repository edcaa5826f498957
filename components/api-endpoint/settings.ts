/** The API endpoint's names and load-balancer settings, pure. */
import { awsName, AWS_NAME_LIMITS } from "../core/names";
import { PORTS } from "../core/ports";

/**
 * The stable API name kubeadm's `controlPlaneEndpoint` and the API certificate use:
 * `api.<cluster>.<domain>`, a record we own in the private zone (docs/design.md, "A stable API name").
 */
export function apiName(clusterName: string, domain: string): string {
  return `api.${clusterName}.${domain}`;
}

/** Load balancer and target group names, within AWS's 32-character limit (shortened and hashed when longer). */
export function apiLoadBalancerNames(clusterName: string): { loadBalancer: string; targetGroup: string } {
  return {
    loadBalancer: awsName(`${clusterName}-api`, AWS_NAME_LIMITS.loadBalancer),
    targetGroup: awsName(`${clusterName}-api-${PORTS.api}`, AWS_NAME_LIMITS.targetGroup),
  };
}

/**
 * The target group's health check. HTTPS GET /readyz on the API port: a live, ready API server answers
 * 200 (kubeadm's default RBAC lets anonymous clients read /readyz); a dead or not-ready one does not.
 * A TCP check would pass for a hung process that still accepts connections. Two checks 10 s apart
 * mark a target up or down, so a failed server leaves rotation in about 20 s.
 */
export const API_HEALTH_CHECK = {
  enabled: true,
  protocol: "HTTPS",
  port: "traffic-port",
  path: "/readyz",
  matcher: "200",
  interval: 10,
  timeout: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
} as const;
