/**
 * Boot artifacts: the files a machine role runs at boot (cloud-init, kubeadm and kubelet configs,
 * etcd config, systemd units, scripts), rendered with placeholders in place of secret values.
 *
 * Components publish them here; nothing listens in a real `pulumi up`. The offline plan installs a
 * sink and writes them to `--out DIR/artifacts/<role>/`, so reviewers read exactly what boots.
 */
import * as pulumi from "@pulumi/pulumi";

export interface BootFile {
  /** Path relative to the role's artifact folder, e.g. `cloud-init.yaml` or `etc/kubernetes/kubeadm.yaml`. */
  path: string;
  /** File content with secret values replaced by placeholders like `<secret:bootstrap-token>`. */
  content: string;
}

export type ArtifactSink = (role: string, files: BootFile[]) => void;

let sink: ArtifactSink | undefined;

/** Installs (or, with undefined, removes) the sink that receives published boot artifacts. */
export function setArtifactSink(s: ArtifactSink | undefined): void {
  sink = s;
}

/** Publishes a role's boot files to the sink, if one is installed; otherwise does nothing. */
export function publishBootArtifacts(role: string, files: pulumi.Input<BootFile[]>): void {
  const s = sink;
  if (!s) return;
  pulumi.output(files).apply((f) => {
    for (const file of f) {
      if (file.content.includes("-----BEGIN") && /PRIVATE KEY-----/.test(file.content)) {
        throw new Error(`boot artifact ${role}/${file.path} contains a private key; artifacts must carry placeholders`);
      }
    }
    s(role, f);
  });
}

/** The placeholder a rendered artifact carries in place of a secret value. */
export function secretPlaceholder(name: string): string {
  return `<secret:${name}>`;
}
