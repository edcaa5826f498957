/** Kubeconfig rendering, pure. */
import { toYaml } from "../bootstrap/yaml";

export interface KubeconfigInput {
  clusterName: string;
  /** `https://host:port`. */
  server: string;
  caCertPem: string;
  clientCertPem: string;
  /** Secret: render inside an Output and wrap it in pulumi.secret. */
  clientKeyPem: string;
  /** User entry name. @default "admin" */
  user?: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export function renderKubeconfig(k: KubeconfigInput): string {
  const user = k.user ?? "admin";
  const context = `${user}@${k.clusterName}`;
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: k.clusterName, cluster: { server: k.server, "certificate-authority-data": b64(k.caCertPem) } }],
    users: [{ name: user, user: { "client-certificate-data": b64(k.clientCertPem), "client-key-data": b64(k.clientKeyPem) } }],
    contexts: [{ name: context, context: { cluster: k.clusterName, user } }],
    "current-context": context,
  });
}
