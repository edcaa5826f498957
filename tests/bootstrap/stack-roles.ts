/** Test helper: every role of every stack in stacks/, rendered with known fake values. */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import {
  initLockTableName,
  placeholders,
  renderControlPlaneFiles,
  renderWorkerFiles,
  type ControlPlaneMaterial,
  type ControlPlaneSecrets,
  type RoleFile,
} from "../../components/bootstrap";
import { apiNameOf, clusterConfigInput, usesExternalEtcd } from "../../components/cluster";
import { controlPlaneRole, workerRole } from "../../components/core/roles";
import { resolveClusterSpec } from "../../components/config";
import { type ClusterSpec } from "../../components/spec";

const ROOT = path.resolve(__dirname, "..", "..");
export const SECRET_KEYS = [
  "bootstrapToken",
  "caKeyPem",
  "frontProxyCaKeyPem",
  "serviceAccountKeyPem",
  "encryptionKey",
  "etcdCaKeyPem",
  "etcdClientKeyPem",
] as const;

export function stackSpecs(): { stack: string; spec: ClusterSpec }[] {
  return readdirSync(path.join(ROOT, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort()
    .map((stack) => {
      const doc = parse(readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
      return { stack, spec: resolveClusterSpec(doc.config["pulumi-kubeadm-aws:cluster"]) };
    });
}

/** Dedicated etcd endpoints as the etcd component would pass them. */
export function etcdEndpoints(spec: ClusterSpec): string[] | undefined {
  if (!usesExternalEtcd(spec)) return undefined;
  return Array.from({ length: spec.etcd.members }, (_, i) => `https://etcd-${i}.${spec.name}.${spec.api.domain}:2379`);
}

export const FAKE_MATERIAL: ControlPlaneMaterial = {
  caCertPem: "-----BEGIN CERTIFICATE-----\nQ0EK\n-----END CERTIFICATE-----\n",
  frontProxyCaCertPem: "-----BEGIN CERTIFICATE-----\nRlAK\n-----END CERTIFICATE-----\n",
  etcdCaCertPem: "-----BEGIN CERTIFICATE-----\nRVQK\n-----END CERTIFICATE-----\n",
  serviceAccountPublicKeyPem: "-----BEGIN PUBLIC KEY-----\nU0EK\n-----END PUBLIC KEY-----\n",
  discoveryHash: `sha256:${"0123456789abcdef".repeat(4)}`,
  etcdClientCertPem: "-----BEGIN CERTIFICATE-----\nRUMK\n-----END CERTIFICATE-----\n",
};

/** Every role of a spec, rendered with the given secret values (placeholders by default). */
export function renderRoles(
  spec: ClusterSpec,
  secrets: ControlPlaneSecrets = placeholders(SECRET_KEYS),
): { role: string; files: RoleFile[] }[] {
  const out: { role: string; files: RoleFile[] }[] = [];
  for (let i = 0; i < spec.controlPlane.count; i++) {
    const role = controlPlaneRole(i);
    out.push({
      role,
      files: renderControlPlaneFiles(
        {
          role,
          region: spec.region,
          index: i,
          initMarker: { table: initLockTableName(spec.name), controlPlaneCount: spec.controlPlane.count },
          cluster: clusterConfigInput(spec, etcdEndpoints(spec), apiNameOf(spec)),
        },
        FAKE_MATERIAL,
        secrets,
      ),
    });
  }
  for (const pool of spec.nodePools) {
    const role = workerRole(pool);
    out.push({
      role,
      files: renderWorkerFiles(
        { role, region: spec.region, clusterName: spec.name, apiName: apiNameOf(spec), labels: pool.labels, taints: pool.taints },
        { discoveryHash: FAKE_MATERIAL.discoveryHash },
        { bootstrapToken: secrets.bootstrapToken },
      ),
    });
  }
  return out;
}
