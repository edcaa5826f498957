/**
 * Auto Scaling group tags, pure: cluster tags propagated to instances, cluster-autoscaler
 * auto-discovery tags, and node-template tags describing the pool's labels and taints so the
 * autoscaler can build a template node and scale a pool up from zero.
 */
import type { NodePoolSpec } from "../spec/spec";
import { clusterTags, ROLE_TAGS } from "../core/tags";

export interface AsgTag {
  key: string;
  value: string;
  propagateAtLaunch: boolean;
}

/** `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>`: what `--node-group-auto-discovery=asg:tag=...` matches. */
export function autoscalerDiscoveryTags(clusterName: string): Record<string, string> {
  return {
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
  };
}

/** Node-template tags: one per label (`.../label/<key>` = value) and per taint (`.../taint/<key>` = `<value>:<Effect>`). */
export function nodeTemplateTags(pool: Pick<NodePoolSpec, "labels" | "taints">): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pool.labels).sort(([a], [b]) => a.localeCompare(b))) {
    out[`k8s.io/cluster-autoscaler/node-template/label/${k}`] = v;
  }
  for (const t of pool.taints) {
    out[`k8s.io/cluster-autoscaler/node-template/taint/${t.key}`] = `${t.value ?? ""}:${t.effect}`;
  }
  return out;
}

/**
 * Every tag of a pool's Auto Scaling group. Cluster tags and the pool's name propagate to the
 * instances (the cloud controller manager and cost reports read them); autoscaler tags stay on the group.
 */
export function asgTags(
  clusterName: string,
  extra: Record<string, string>,
  pool: Pick<NodePoolSpec, "name" | "labels" | "taints">,
  instanceName: string,
): AsgTag[] {
  const propagated = { ...clusterTags(clusterName, extra, instanceName), [ROLE_TAGS.nodePool]: pool.name };
  const groupOnly = { ...autoscalerDiscoveryTags(clusterName), ...nodeTemplateTags(pool) };
  const tags: AsgTag[] = [];
  for (const [key, value] of Object.entries(propagated)) tags.push({ key, value, propagateAtLaunch: true });
  for (const [key, value] of Object.entries(groupOnly)) {
    if (!(key in propagated)) tags.push({ key, value, propagateAtLaunch: false });
  }
  return tags.sort((a, b) => a.key.localeCompare(b.key));
}
