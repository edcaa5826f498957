/**
 * What the machine-image build downloads, and the sha256 each download must have.
 *
 * The Packer provisioners fetch release binaries at build time and refuse any file whose sha256
 * differs from the one pinned here (the boot downloads nothing). Checksums are facts about
 * upstream release files, keyed by version, so a manifest version without a known checksum cannot
 * produce Packer variables at all (`imageBuildProblems`).
 *
 * Provenance: every Kubernetes, containerd, runc, CNI plugins, crictl and etcd value below was read
 * from Kubespray's checksum table (the projects' published `.sha256` files, mirrored), file
 * roles/kubespray_defaults/vars/main/checksums.yml of kubernetes-sigs/kubespray at commit
 * 46dbdd3994b32640bcd806b0097f50e8fdf1d514 (2026-08-21), linux/amd64 column (CHECKSUM_SOURCE).
 * That table lists no Kubernetes 1.37.x and no etcd 3.7.x release yet: a 1.37 manifest is accepted
 * by checkVersions() but cannot be built into an image until those checksums are added here.
 *
 * What the table holds: the default manifest's versions, and the pins of every other supported
 * minor where known (Kubernetes 1.35.4 with kubeadm 1.35's etcd 3.6.6 and crictl 1.34.0). Entries
 * no supported manifest can reach (Kubernetes 1.33, etcd below kubeadm's minimum, crictl two minors
 * back) were removed with the minors that used them.
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

/** Where the checksum table's values come from (named in every "no pinned sha256" problem). */
export const CHECKSUM_SOURCE = {
  repository: "kubernetes-sigs/kubespray",
  path: "roles/kubespray_defaults/vars/main/checksums.yml",
  commit: "46dbdd3994b32640bcd806b0097f50e8fdf1d514",
  date: "2026-08-21",
} as const;

/**
 * sha256 of each linux/amd64 release file, by artifact and version (no `v`, no `sha256:` prefix).
 * Add a version here (from the upstream `.sha256` file) before pinning it in a manifest.
 */
export const ARTIFACT_SHA256: Readonly<Record<Artifact, Readonly<Record<string, string>>>> = {
  // https://dl.k8s.io/release/v<V>/bin/linux/amd64/<binary>
  kubelet: {
    "1.36.3": "46707a53209f826ad0f0d62371ac69cd00e78fd9a8176cf5f6f87f18f7f8b718",
    "1.35.4": "983a6ba5a49823dcdd745c674e5e2416377dd27d6ad1b42d2befa0fb961a19f6",
  },
  kubeadm: {
    "1.36.3": "bba1733c701bf70ec74ba1cc3fd5745404c1134a8a4b0a5f8560cc9832023421",
    "1.35.4": "0c0497da793f8897c14e45340da919534b615294a1aab69dc1998896c0f11145",
  },
  kubectl: {
    "1.36.3": "ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336",
    "1.35.4": "b529430df69a688fd61b64ad2299edb5fd71cb58be2a4779dba624c7d3510efd",
  },
  // containerd-<V>-linux-amd64.tar.gz
  containerd: { "2.3.4": "9d68969855fbf676cdb8ed758e420fb048d61f984f61de3e53eddfebe484d168" },
  // runc.amd64
  runc: { "1.4.3": "f6ae8efc0fa40079e1475e97cbe9d1bd3f106a28d6af78a11d9f1bd565515e60" },
  // cni-plugins-linux-amd64-v<V>.tgz
  cniPlugins: { "1.9.1": "b98f74a0f8522f0a83867178729c1aa70f2158f90c45a2ca8fa791db1c76b303" },
  // crictl-v<V>-linux-amd64.tar.gz
  crictl: {
    "1.35.0": "2e141e5b22cb189c40365a11807d69b76b9b3caced89fac2f4ec879408ce2177",
    "1.34.0": "a8ff2a3edb37a98daf3aba7c3b284fe0aa5bff24166d896ab9ef64c8913c9f51",
  },
  // etcd-v<V>-linux-amd64.tar.gz (etcd, etcdctl and etcdutl)
  etcd: {
    "3.6.8": "cf9cfe91a4856cb90eed9c99e6aee4b708db2c7888b88a6f116281f04b0ea693",
    "3.6.6": "887afaa4a99f22d802ccdfbe65730a5e79aa5c9ce2c8799c67e9d804c50ecedb",
  },
  // awscli-exe-linux-x86_64-<V>.zip (not in Kubespray's table; AWS publishes a PGP signature, not a
  // checksum: this sha256 is of the file itself)
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
  return Object.fromEntries(Object.entries(versions).map(([a, ver]) => [a, ARTIFACT_SHA256[a as Artifact][ver]!])) as Record<
    Artifact,
    string
  >;
}

/** Why an image cannot be built for a manifest: a missing checksum, or a version the skew policy rejects. */
export function imageBuildProblems(v: PlatformVersions, tools: ImageToolVersions = IMAGE_TOOLS): string[] {
  const versionProblems = checkVersions(v);
  const problems: string[] = versionProblems.map((p) => `versions.${p.field}: ${p.message}`);
  const k8sMinor = minorOfVersion(v.kubernetes);
  if (k8sMinor !== undefined && !versionProblems.some((p) => p.field === "kubernetes") && !hasMinor("kubeadm", k8sMinor)) {
    const unknown = (Object.entries(artifactVersions(v, tools)) as [Artifact, string][])
      .filter(([a, ver]) => a !== "awsCli" && ARTIFACT_SHA256[a][ver] === undefined && !hasMinor(a, minorOfVersion(ver) ?? ver))
      .map(([a, ver]) => `${a} ${minorOfVersion(ver) ?? ver}.x`);
    const src = CHECKSUM_SOURCE;
    problems.push(
      `versions.kubernetes: Kubernetes ${k8sMinor} is a supported minor, but no image can be built for it yet: the checksum table ` +
        `(read from ${src.repository} ${src.path} at ${src.commit}, ${src.date}) has no ${unknown.join(", ")} release; ` +
        `add their sha256 from the upstream release files to ARTIFACT_SHA256 (components/versions/artifacts.ts), or pin Kubernetes ${buildableKubernetesMinors().join(" or ")}`,
    );
  }
  if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(tools.awsCli))
    problems.push(`awsCli: must be a full version X.Y.Z (got "${tools.awsCli}")`);
  if (!/^[1-9]\d{2,}$/.test(v.nvidiaDriver))
    problems.push(`versions.nvidiaDriver: must be a driver branch number such as 570 (got "${v.nvidiaDriver}")`);
  for (const [a, ver] of Object.entries(artifactVersions(v, tools)) as [Artifact, string][]) {
    const sum = ARTIFACT_SHA256[a][ver];
    if (sum === undefined) {
      const minor = minorOfVersion(ver);
      const reason =
        a !== "awsCli" && minor !== undefined && !hasMinor(a, minor) ? ` (the table has no ${a} ${minor}.x release at all)` : "";
      problems.push(
        `${a} ${ver}: no pinned sha256${reason}; add the one published next to ${artifactUrl(a, ver)} to ARTIFACT_SHA256 (components/versions/artifacts.ts)`,
      );
    } else if (!/^[0-9a-f]{64}$/.test(sum)) {
      problems.push(`${a} ${ver}: pinned sha256 "${sum}" is not 64 lowercase hex digits`);
    }
  }
  return problems;
}

/** `1.37` from `1.37.2`; undefined when not a full version. */
function minorOfVersion(version: string): string | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** Whether the table has any release of `minor` for an artifact. */
function hasMinor(a: Artifact, minor: string): boolean {
  return Object.keys(ARTIFACT_SHA256[a]).some((k) => k.startsWith(`${minor}.`));
}

/** The Kubernetes minors the table can build images for (kubeadm, kubelet and kubectl of that minor are all pinned). */
export function buildableKubernetesMinors(): string[] {
  const minors = new Set(Object.keys(ARTIFACT_SHA256.kubeadm).map((k) => minorOfVersion(k)!));
  return [...minors]
    .filter((m) => hasMinor("kubelet", m) && hasMinor("kubectl", m))
    .sort((x, y) => Number(x.split(".")[1]) - Number(y.split(".")[1]));
}
