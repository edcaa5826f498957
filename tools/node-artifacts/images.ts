/**
 * The container images the node would pull (packer/scripts/70-prepull.sh), built locally as
 * docker-archive files that `ctr -n k8s.io images import` accepts: a tar of `manifest.json`
 * ([{Config, RepoTags, Layers}]), the config JSON and one deterministic layer tar per image.
 *
 * The names are exactly what the built kubeadm's `kubeadm config images list` prints for the
 * manifest's versions, plus the manifest's pause (containerd's sandbox image) and a busybox test image.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { etcdImageTag } from "../../components/bootstrap/kubeadm-etcd";
import type { PlatformVersions } from "../../components/versions/manifest";
import { BuildError, run, sha256, sha256File } from "./common";
import { deterministicTar } from "./mirror";
import { IMAGE_PATH, addBinaries, addBinary, addBusybox, addIptables, baseRootfs, verifyIptables } from "./image-rootfs";

export type ImageVersions = Pick<PlatformVersions, "kubernetes" | "etcd" | "coredns" | "pause">;

/** What an image holds, by the last segment of its repository. */
export type ImageRole =
  "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kube-proxy" | "etcd" | "coredns" | "pause" | "busybox";

/** The repository of the local test image (not a real registry: nothing can pull it by accident). */
export const BUSYBOX_REPOSITORY = "pka.local/busybox";

/** The kubeadm configuration 70-prepull.sh lists and pulls images with. Pure. */
export function kubeadmImagesConfig(v: ImageVersions): string {
  return [
    "apiVersion: kubeadm.k8s.io/v1beta4",
    "kind: ClusterConfiguration",
    `kubernetesVersion: v${v.kubernetes}`,
    "imageRepository: registry.k8s.io",
    "etcd:",
    "  local:",
    `    imageTag: ${etcdImageTag(v.etcd)}`,
    "dns:",
    `  imageTag: v${v.coredns}`,
    "",
  ].join("\n");
}

/** Runs the built kubeadm's `config images list` for these versions. */
export function listKubeadmImages(kubeadm: string, v: ImageVersions, workDir: string): string[] {
  fs.mkdirSync(workDir, { recursive: true });
  const config = path.join(workDir, "kubeadm-images.yaml");
  fs.writeFileSync(config, kubeadmImagesConfig(v));
  const out = run(kubeadm, ["config", "images", "list", "--config", config], "kubeadm config images list");
  const images = out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  if (images.length === 0) throw new BuildError(`kubeadm config images list printed nothing:\n${out}`);
  return images;
}

/** The busybox image's tag from Debian's package version (`1:1.35.0-4+deb12u1` gives `1.35.0`). Pure. */
export function busyboxTag(debianVersion: string | undefined): string {
  const upstream = debianVersion?.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
  return upstream && /^[\w][\w.-]{0,127}$/.test(upstream) ? upstream : "1";
}

/** Every image to build: kubeadm's list, the manifest's pause, the busybox test image; no duplicates. Pure. */
export function imageRefs(kubeadmList: readonly string[], pause: string, busybox: string): string[] {
  return [...new Set([...kubeadmList, `registry.k8s.io/pause:${pause}`, `${BUSYBOX_REPOSITORY}:${busybox}`])];
}

/** The role of an image reference, or a BuildError for an image this tool does not know how to build. Pure. */
export function imageRole(ref: string): ImageRole {
  const repo = ref.replace(/:[^:/]+$/, "");
  const last = repo.split("/").at(-1)!;
  if (repo === BUSYBOX_REPOSITORY) return "busybox";
  const known: ImageRole[] = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "etcd", "coredns", "pause"];
  if ((known as string[]).includes(last) && repo.startsWith("registry.k8s.io/")) return last as ImageRole;
  throw new BuildError(
    `kubeadm lists ${ref}, an image tools/node-artifacts does not know how to build; add it to tools/node-artifacts/images.ts`,
  );
}

/** The file an image's archive is written to: the reference with `/` and `:` as `_`. Pure. */
export function imageArchiveName(ref: string): string {
  return `${ref.replace(/[/:]/g, "_")}.tar`;
}

/** The process an image starts. Pure. */
export function imageProcess(role: ImageRole): { Entrypoint?: string[]; Cmd?: string[] } {
  switch (role) {
    case "coredns":
      return { Entrypoint: ["/coredns"] };
    case "pause":
      return { Entrypoint: ["/pause"] };
    case "busybox":
      return { Cmd: ["sh"] };
    default:
      return { Entrypoint: [`/usr/local/bin/${role}`] };
  }
}

/** The image config (OCI/Docker image JSON) of an image whose layers have these diff ids (`sha256:<hex>`). Pure. */
export function imageConfig(role: ImageRole, diffIds: readonly string[]): Record<string, unknown> {
  return {
    architecture: "amd64",
    os: "linux",
    created: "1970-01-01T00:00:00Z",
    config: { Env: [`PATH=${IMAGE_PATH}`], ...imageProcess(role), WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [...diffIds] },
    history: [{ created: "1970-01-01T00:00:00Z", created_by: `pulumi-kubeadm-aws tools/node-artifacts (${role})` }],
  };
}

/** docker-archive's manifest.json. Pure. */
export function dockerManifest(configFile: string, ref: string, layerFiles: readonly string[]): string {
  return JSON.stringify([{ Config: configFile, RepoTags: [ref], Layers: [...layerFiles] }]);
}

export interface ImageInputs {
  /** tools/k8s/build.ts's bin folder. */
  k8sBin: string;
  corednsBin: string;
  pauseBin: string;
}

export interface BuiltImage {
  ref: string;
  file: string;
  /** The image id: `sha256:` of the config. */
  id: string;
  role: ImageRole;
}

/** Stages the root filesystem of an image. */
function stageRootfs(role: ImageRole, root: string, inputs: ImageInputs): void {
  baseRootfs(root);
  switch (role) {
    case "kube-apiserver":
    case "kube-controller-manager":
    case "kube-scheduler":
      addBinaries(root, inputs.k8sBin, [role], "usr/local/bin");
      break;
    case "kube-proxy":
      addIptables(root);
      addBinaries(root, inputs.k8sBin, ["kube-proxy"], "usr/local/bin");
      break;
    case "etcd":
      addBinaries(root, inputs.k8sBin, ["etcd", "etcdctl", "etcdutl"], "usr/local/bin");
      break;
    case "coredns":
      addBinary(root, path.join(inputs.corednsBin, "coredns"), "coredns");
      break;
    case "pause":
      addBinary(root, path.join(inputs.pauseBin, "pause"), "pause");
      break;
    case "busybox":
      addBusybox(root);
      break;
  }
}

/** Builds one image archive into `imagesDir`; `workDir` is scratch space. */
export function buildImage(ref: string, imagesDir: string, workDir: string, inputs: ImageInputs): BuiltImage {
  const role = imageRole(ref);
  const work = path.join(workDir, imageArchiveName(ref).replace(/\.tar$/, ""));
  fs.rmSync(work, { recursive: true, force: true });
  const rootfs = path.join(work, "rootfs");
  stageRootfs(role, rootfs, inputs);

  const archive = path.join(work, "archive");
  fs.mkdirSync(archive, { recursive: true });
  const layerTmp = path.join(work, "layer.tar");
  deterministicTar(rootfs, ["."], layerTmp, false);
  if (role === "kube-proxy") {
    // Judge the layer itself, not the staging directory: unpack it and run its iptables.
    const unpacked = path.join(work, "unpacked");
    fs.mkdirSync(unpacked);
    run("tar", ["-C", unpacked, "-xf", layerTmp], "unpack the kube-proxy layer");
    verifyIptables(unpacked);
  }
  const diffHex = sha256File(layerTmp);
  fs.mkdirSync(path.join(archive, diffHex), { mode: 0o755 });
  fs.renameSync(layerTmp, path.join(archive, diffHex, "layer.tar"));
  fs.chmodSync(path.join(archive, diffHex, "layer.tar"), 0o644);

  const config = `${JSON.stringify(imageConfig(role, [`sha256:${diffHex}`]))}\n`;
  const configHex = sha256(config);
  fs.writeFileSync(path.join(archive, `${configHex}.json`), config, { mode: 0o644 });
  fs.writeFileSync(path.join(archive, "manifest.json"), `${dockerManifest(`${configHex}.json`, ref, [`${diffHex}/layer.tar`])}\n`, {
    mode: 0o644,
  });
  for (const f of ["manifest.json", `${configHex}.json`]) fs.chmodSync(path.join(archive, f), 0o644);
  fs.chmodSync(path.join(archive, diffHex), 0o755);

  const file = path.join(imagesDir, imageArchiveName(ref));
  deterministicTar(archive, ["manifest.json", `${configHex}.json`, diffHex], file, false);
  fs.rmSync(work, { recursive: true, force: true });
  return { ref, file, id: `sha256:${configHex}`, role };
}
