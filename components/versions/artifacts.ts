/**
 * What the machine-image build downloads, and the sha256 each download must have.
 *
 * The Packer provisioners fetch release binaries at build time and refuse any file whose sha256
 * differs from the one pinned here (the boot downloads nothing). Checksums are facts about
 * upstream release files: they were taken from the projects' published `.sha256` files (as
 * mirrored by Kubespray's checksum table) and are keyed by version, so a manifest version without
 * a known checksum cannot produce Packer variables at all (`imageBuildProblems`).
 *
 * Only linux/amd64 is built today (general, memory, compute and the g4dn/p3 GPU families are all
 * x86_64); an arm64 image would add a second table, not change this one.
 */
import { checkVersions, type PlatformVersions } from "./manifest";

/** The downloaded artifacts, each verified by sha256. */
export type Artifact = "kubelet" | "kubeadm" | "kubectl" | "containerd" | "runc" | "cniPlugins" | "crictl" | "etcd" | "awsCli";

/** Tools the image carries that do not affect cluster compatibility, so they live outside the manifest. */
export interface ImageToolVersions {
  /** AWS CLI v2 (`awscli-exe-linux-x86_64-<version>.zip`), full `X.Y.Z`. */
  awsCli: string;
}

/** The tool versions the images are built with. */
export const IMAGE_TOOLS: Readonly<ImageToolVersions> = Object.freeze({ awsCli: "2.36.11" });

/** The image architecture: the only one the checksum table covers. */
export const IMAGE_ARCH = "amd64" as const;

/**
 * sha256 of each linux/amd64 release file, by artifact and version (no `v`, no `sha256:` prefix).
 * Add a version here (from the upstream `.sha256` file) before pinning it in a manifest.
 */
export const ARTIFACT_SHA256: Readonly<Record<Artifact, Readonly<Record<string, string>>>> = {
  // https://dl.k8s.io/release/v<V>/bin/linux/amd64/<binary>
  kubelet: { "1.33.5": "8f6106b970259486c5af5cbee404d4f23406d96d99dfb92a6965b299c2a4db0e" },
  kubeadm: { "1.33.5": "6761219749c6c67a56a5668dfe65d669e0c1f34d4b280b72de6d74d47c601f1e" },
  kubectl: { "1.33.5": "6a12d6c39e4a611a3687ee24d8c733961bb4bae1ae975f5204400c0a6930c6fc" },
  // containerd-<V>-linux-amd64.tar.gz
  containerd: { "2.1.4": "316d510a0428276d931023f72c09fdff1a6ba81d6cc36f31805fea6a3c88f515" },
  // runc.amd64
  runc: { "1.3.1": "53bfce31ca047e537e0767b21c9d529d4b5b3e1cb9c590ca81654f9a5615d80d" },
  // cni-plugins-linux-amd64-v<V>.tgz
  cniPlugins: { "1.7.1": "1a28a0506bfe5bcdc981caf1a49eeab7e72da8321f1119b7be85f22621013098" },
  // crictl-v<V>-linux-amd64.tar.gz
  crictl: { "1.33.0": "8307399e714626e69d1213a4cd18c8dec3d0201ecdac009b1802115df8973f0f" },
  // etcd-v<V>-linux-amd64.tar.gz
  etcd: { "3.5.21": "adddda4b06718e68671ffabff2f8cee48488ba61ad82900e639d108f2148501c" },
  // awscli-exe-linux-x86_64-<V>.zip (AWS publishes a PGP signature, not a checksum; this sha256 is of the file itself)
  awsCli: { "2.36.11": "50fbb7a2f44a78eab4a210088040e8f0bc4b9937cac8043c2354269d58614df6" },
};

/** The version of each artifact a manifest (plus image tools) asks for. */
export function artifactVersions(v: PlatformVersions, tools: ImageToolVersions = IMAGE_TOOLS): Record<Artifact, string> {
  return {
    kubelet: v.kubelet,
    kubeadm: v.kubernetes,
    kubectl: v.kubernetes,
    containerd: v.containerd,
    runc: v.runc,
    cniPlugins: v.cniPlugins,
    crictl: v.crictl,
    etcd: v.etcd,
    awsCli: tools.awsCli,
  };
}

/** The download URL of an artifact at a version (linux/amd64). */
export function artifactUrl(a: Artifact, version: string): string {
  switch (a) {
    case "kubelet":
    case "kubeadm":
    case "kubectl":
      return `https://dl.k8s.io/release/v${version}/bin/linux/${IMAGE_ARCH}/${a}`;
    case "containerd":
      return `https://github.com/containerd/containerd/releases/download/v${version}/containerd-${version}-linux-${IMAGE_ARCH}.tar.gz`;
    case "runc":
      return `https://github.com/opencontainers/runc/releases/download/v${version}/runc.${IMAGE_ARCH}`;
    case "cniPlugins":
      return `https://github.com/containernetworking/plugins/releases/download/v${version}/cni-plugins-linux-${IMAGE_ARCH}-v${version}.tgz`;
    case "crictl":
      return `https://github.com/kubernetes-sigs/cri-tools/releases/download/v${version}/crictl-v${version}-linux-${IMAGE_ARCH}.tar.gz`;
    case "etcd":
      return `https://github.com/etcd-io/etcd/releases/download/v${version}/etcd-v${version}-linux-${IMAGE_ARCH}.tar.gz`;
    case "awsCli":
      return `https://awscli.amazonaws.com/awscli-exe-linux-x86_64-${version}.zip`;
  }
}

/** The pinned sha256 of every artifact the image build downloads for this manifest. Throws listing every missing one. */
export function artifactChecksums(v: PlatformVersions, tools: ImageToolVersions = IMAGE_TOOLS): Record<Artifact, string> {
  const problems = imageBuildProblems(v, tools);
  if (problems.length > 0) throw new Error(`cannot build images for this manifest:\n  ${problems.join("\n  ")}`);
  const versions = artifactVersions(v, tools);
  return Object.fromEntries(Object.entries(versions).map(([a, ver]) => [a, ARTIFACT_SHA256[a as Artifact][ver]!])) as Record<Artifact, string>;
}

/** Why an image cannot be built for a manifest: a missing checksum, or a version the skew policy rejects. */
export function imageBuildProblems(v: PlatformVersions, tools: ImageToolVersions = IMAGE_TOOLS): string[] {
  const problems: string[] = checkVersions(v).map((p) => `versions.${p.field}: ${p.message}`);
  if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(tools.awsCli)) problems.push(`awsCli: must be a full version X.Y.Z (got "${tools.awsCli}")`);
  if (!/^[1-9]\d{2,}$/.test(v.nvidiaDriver)) problems.push(`versions.nvidiaDriver: must be a driver branch number such as 570 (got "${v.nvidiaDriver}")`);
  for (const [a, ver] of Object.entries(artifactVersions(v, tools)) as [Artifact, string][]) {
    const sum = ARTIFACT_SHA256[a][ver];
    if (sum === undefined) {
      problems.push(`${a} ${ver}: no pinned sha256; add the one published next to ${artifactUrl(a, ver)} to ARTIFACT_SHA256 (components/versions/artifacts.ts)`);
    } else if (!/^[0-9a-f]{64}$/.test(sum)) {
      problems.push(`${a} ${ver}: pinned sha256 "${sum}" is not 64 lowercase hex digits`);
    }
  }
  return problems;
}
