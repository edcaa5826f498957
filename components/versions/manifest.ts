/**
 * The platform version manifest: every version a cluster runs, in one typed object.
 *
 * The Packer templates (packer/), the kubeadm configuration, and the AMI tags all read it, so an
 * image, a node and the control plane can never disagree about what they run. A new manifest reaches
 * nodes only by an explicit change that rolls them (docs/design.md, "Pinned images, rolled only by an
 * explicit change").
 */
export interface PlatformVersions {
  /** Kubernetes control plane (kube-apiserver, controller-manager, scheduler) and kubeadm, full `X.Y.Z`. */
  kubernetes: string;
  /** kubelet on every node, full `X.Y.Z`; at most the API server's minor and at least three minors older. @default kubernetes */
  kubelet: string;
  /** etcd server and etcdctl, full `X.Y.Z`. */
  etcd: string;
  /** containerd, full `X.Y.Z`. */
  containerd: string;
  /** runc, full `X.Y.Z`. */
  runc: string;
  /** CNI reference plugins (bridge, loopback, host-local, portmap), full `X.Y.Z`. */
  cniPlugins: string;
  /** crictl (cri-tools), full `X.Y.Z`. */
  crictl: string;
  /** CoreDNS image tag, full `X.Y.Z` (without the `v`). */
  coredns: string;
  /** pause (sandbox) image tag, e.g. `3.10`. */
  pause: string;
  /** The seed operating system the images are built from. */
  os: { family: "ubuntu"; release: "24.04" | "22.04" };
  /** NVIDIA datacenter driver branch for the GPU image, e.g. `570`. */
  nvidiaDriver: string;
  /** NVIDIA container toolkit for the GPU image, full `X.Y.Z`. */
  nvidiaContainerToolkit: string;
}

/** Per Kubernetes minor: the etcd minors its kubeadm supports, and the defaults it ships with. */
export interface MinorSupport {
  /** etcd minors kubeadm of this minor accepts (its `SupportedEtcdVersion` map and `MinExternalEtcdVersion`). */
  etcdMinors: string[];
  /** The oldest etcd kubeadm of this minor accepts (`MinExternalEtcdVersion`). */
  minEtcd: string;
  /**
   * What this minor's kubeadm pins (cmd/kubeadm/app/constants: `DefaultEtcdVersion`, `CoreDNSVersion`,
   * `PauseVersion`) and the crictl its release is built with (build/dependencies.yaml).
   */
  defaults: Pick<PlatformVersions, "etcd" | "coredns" | "pause" | "crictl">;
}

/**
 * The Kubernetes minors this library supports, and what each one's kubeadm pins. Upstream supports
 * 1.35, 1.36 and 1.37 (2026-12); kubeadm 1.37 reads only `v1beta4`, the one API we render. The values
 * were read from k8s.io/kubernetes at v1.35.4, v1.36.3 and v1.37.2 as served by the Go module proxy.
 */
export const SUPPORTED_MINORS: Readonly<Record<string, MinorSupport>> = {
  "1.35": {
    etcdMinors: ["3.5", "3.6"],
    minEtcd: "3.5.24",
    defaults: { etcd: "3.6.6", coredns: "1.13.1", pause: "3.10.1", crictl: "1.34.0" },
  },
  "1.36": {
    etcdMinors: ["3.5", "3.6"],
    minEtcd: "3.5.24",
    defaults: { etcd: "3.6.8", coredns: "1.14.2", pause: "3.10.2", crictl: "1.35.0" },
  },
  "1.37": {
    etcdMinors: ["3.5", "3.6", "3.7"],
    minEtcd: "3.5.24",
    defaults: { etcd: "3.7.0", coredns: "1.14.6", pause: "3.10.2", crictl: "1.36.0" },
  },
};

/** The manifest a cluster gets when its config names no versions. */
export const DEFAULT_VERSIONS: Readonly<PlatformVersions> = Object.freeze({
  kubernetes: "1.36.3",
  kubelet: "1.36.3",
  etcd: "3.6.8",
  containerd: "2.3.4",
  runc: "1.4.3",
  cniPlugins: "1.9.1",
  crictl: "1.35.0",
  coredns: "1.14.2",
  pause: "3.10.2",
  os: Object.freeze({ family: "ubuntu", release: "24.04" }) as PlatformVersions["os"],
  nvidiaDriver: "570",
  nvidiaContainerToolkit: "1.17.8",
});

const FULL_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** `1.33` from `1.33.5`; undefined when the string is not a full `X.Y.Z` version. */
export function minorOf(version: string): string | undefined {
  const m = FULL_VERSION.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** Compares two full `X.Y.Z` versions: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A problem with a field of the manifest: `field` is the manifest key, e.g. `kubelet`. */
export interface VersionProblem {
  field: keyof PlatformVersions;
  message: string;
}

/** The versions a node image carries: the node artifacts build them, the packer scripts install them. */
export const NODE_VERSION_KEYS = [
  "kubernetes",
  "kubelet",
  "etcd",
  "containerd",
  "runc",
  "cniPlugins",
  "crictl",
  "coredns",
  "pause",
] as const;

/** The versions of a node image. */
export type NodeVersions = Pick<PlatformVersions, (typeof NODE_VERSION_KEYS)[number]>;

/** How a version is written: `X.Y.Z`, but pause's `X.Y[.Z]` and the NVIDIA driver's branch. */
export function versionFormat(key: keyof PlatformVersions): { pattern: RegExp; shape: string } | undefined {
  if (key === "os" || key === "nvidiaDriver") return undefined;
  return key === "pause"
    ? { pattern: /^\d+\.\d+(\.\d+)?$/, shape: "version X.Y[.Z]" }
    : { pattern: FULL_VERSION, shape: "full version X.Y.Z" };
}

/**
 * Checks a manifest for combinations kubeadm and the version-skew policy do not support.
 * Returns every problem, never throws.
 */
export function checkVersions(v: PlatformVersions): VersionProblem[] {
  const problems: VersionProblem[] = [];
  for (const f of Object.keys(v) as (keyof PlatformVersions)[]) {
    const format = versionFormat(f);
    if (format && !format.pattern.test(String(v[f]))) {
      problems.push({ field: f, message: `must be a ${format.shape} (got "${String(v[f])}")` });
    }
  }
  const k8sMinor = minorOf(v.kubernetes);
  if (k8sMinor === undefined) return problems;
  const support = SUPPORTED_MINORS[k8sMinor];
  if (!support) {
    const supported = Object.keys(SUPPORTED_MINORS);
    const older = compareVersions(`${k8sMinor}.0`, `${supported[0]}.0`) < 0;
    problems.push({
      field: "kubernetes",
      message: older
        ? `minor ${k8sMinor} is no longer supported (end of life upstream, and kubeadm of a supported minor cannot deploy it); supported: ${supported.join(", ")}`
        : `minor ${k8sMinor} is not supported yet; supported: ${supported.join(", ")}`,
    });
    return problems;
  }
  const kubeletMinor = minorOf(v.kubelet);
  if (kubeletMinor !== undefined) {
    const skew = Number(k8sMinor.split(".")[1]) - Number(kubeletMinor.split(".")[1]);
    if (skew < 0) {
      problems.push({
        field: "kubelet",
        message: `kubelet ${v.kubelet} is newer than the API server ${v.kubernetes}; kubelet must not be newer than the control plane`,
      });
    } else if (skew > 3) {
      problems.push({ field: "kubelet", message: `kubelet ${v.kubelet} is more than 3 minors older than the API server ${v.kubernetes}` });
    }
  }
  const etcdMinor = minorOf(v.etcd);
  if (etcdMinor !== undefined && !support.etcdMinors.includes(etcdMinor)) {
    problems.push({
      field: "etcd",
      message: `etcd ${v.etcd} is not supported by Kubernetes ${k8sMinor}; allowed etcd minors: ${support.etcdMinors.join(", ")}`,
    });
  } else if (etcdMinor !== undefined && compareVersions(v.etcd, support.minEtcd) < 0) {
    problems.push({ field: "etcd", message: `etcd ${v.etcd} is older than ${support.minEtcd}, the oldest kubeadm ${k8sMinor} accepts` });
  }
  const crictlMinor = minorOf(v.crictl);
  const allowedCrictl = [k8sMinor, `1.${Number(k8sMinor.split(".")[1]) - 1}`];
  if (crictlMinor !== undefined && !allowedCrictl.includes(crictlMinor)) {
    problems.push({
      field: "crictl",
      message: `crictl ${v.crictl} must be of the Kubernetes minor ${k8sMinor} or the one before (${allowedCrictl.join(" or ")})`,
    });
  }
  return problems;
}

/**
 * The tags a machine image carries, read back when the library looks an image up (exact match on
 * every one). The Packer templates tag images with the same map: packer/image-tags.pkr.hcl is
 * generated from this function (`npm run images:vars`), so the two cannot drift. CoreDNS and
 * pause are included because the image pre-pulls those images: a different pin needs a new image.
 */
export function imageTags(v: PlatformVersions, variant: "node" | "gpu"): Record<string, string> {
  const tags: Record<string, string> = {
    "pulumi-kubeadm-aws:variant": variant,
    "pulumi-kubeadm-aws:os": `${v.os.family}-${v.os.release}`,
    "pulumi-kubeadm-aws:kubernetes": v.kubernetes,
    "pulumi-kubeadm-aws:kubelet": v.kubelet,
    "pulumi-kubeadm-aws:etcd": v.etcd,
    "pulumi-kubeadm-aws:containerd": v.containerd,
    "pulumi-kubeadm-aws:runc": v.runc,
    "pulumi-kubeadm-aws:cni-plugins": v.cniPlugins,
    "pulumi-kubeadm-aws:crictl": v.crictl,
    "pulumi-kubeadm-aws:coredns": v.coredns,
    "pulumi-kubeadm-aws:pause": v.pause,
  };
  if (variant === "gpu") {
    tags["pulumi-kubeadm-aws:nvidia-driver"] = v.nvidiaDriver;
    tags["pulumi-kubeadm-aws:nvidia-container-toolkit"] = v.nvidiaContainerToolkit;
  }
  return tags;
}
