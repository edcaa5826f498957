/**
 * The download mirror: the release files the Packer provisioners fetch (packer/scripts/20-containerd.sh,
 * 30-kubernetes.sh, 40-etcd.sh), under the exact basenames of their URLs, packed from local builds,
 * plus a SHA256SUMS file (sha256sum format) of all of them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import type { Artifact } from "../../components/versions/artifacts";
import { BuildError, copyFile, run, sha256File } from "./common";
import { CONTAINERD_BINARIES } from "./go-builds";

/** What the mirror holds: every artifact the image build downloads except the AWS CLI (not built here). */
export type MirrorArtifact = Exclude<Artifact, "awsCli">;
export const MIRROR_ARTIFACTS: readonly MirrorArtifact[] = [
  "containerd",
  "runc",
  "cniPlugins",
  "crictl",
  "kubelet",
  "kubeadm",
  "kubectl",
  "etcd",
];
export const ETCD_ARCHIVE_BINARIES = ["etcd", "etcdctl", "etcdutl"] as const;

/** The file name (the last segment of the download URL) of an artifact at a version (`X.Y.Z`, no `v`). Pure. */
export function mirrorFileName(a: MirrorArtifact, version: string): string {
  switch (a) {
    case "containerd":
      return `containerd-${version}-linux-amd64.tar.gz`;
    case "runc":
      return "runc.amd64";
    case "cniPlugins":
      return `cni-plugins-linux-amd64-v${version}.tgz`;
    case "crictl":
      return `crictl-v${version}-linux-amd64.tar.gz`;
    case "kubelet":
    case "kubeadm":
    case "kubectl":
      return a;
    case "etcd":
      return `etcd-v${version}-linux-amd64.tar.gz`;
  }
}

/** The file name of every mirror artifact for these versions. Pure. */
export function mirrorFileNames(versions: Readonly<Record<MirrorArtifact, string>>): Record<MirrorArtifact, string> {
  return Object.fromEntries(MIRROR_ARTIFACTS.map((a) => [a, mirrorFileName(a, versions[a])])) as Record<MirrorArtifact, string>;
}

/** `sha256sum` format, sorted by file name. Pure. */
export function renderSha256Sums(sums: Readonly<Record<string, string>>): string {
  return Object.keys(sums)
    .sort()
    .map((f) => `${sums[f]}  ${f}\n`)
    .join("");
}

/**
 * A deterministic tar of `entries` (relative to `dir`): sorted names, mtime 0, owner and group 0, GNU
 * format; gzip (no name, no time) when `gzip`. The staged files' modes are the archive's modes.
 */
export function deterministicTar(dir: string, entries: string[], out: string, gzip: boolean): void {
  const tarFile = gzip ? `${out}.tar-tmp` : out;
  run(
    "tar",
    [
      "--sort=name",
      "--format=gnu",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--no-acls",
      "--no-xattrs",
      "-C",
      dir,
      "-cf",
      tarFile,
      "--",
      ...entries,
    ],
    `tar ${path.basename(out)}`,
  );
  if (gzip) {
    fs.writeFileSync(out, gzipSync(fs.readFileSync(tarFile), { level: 6 }));
    fs.rmSync(tarFile);
  }
}

export interface MirrorInputs {
  /** The version of each artifact as built (names the files). */
  versions: Readonly<Record<MirrorArtifact, string>>;
  containerdBin: string;
  runcBin: string;
  cniBin: string;
  cniPlugins: readonly string[];
  crictlBin: string;
  /** tools/k8s/build.ts's bin folder (kubelet, kubeadm, kubectl, etcd, etcdctl, etcdutl). */
  k8sBin: string;
}

/** Fills `mirrorDir` (which must be empty or absent); returns file name -> sha256 (what SHA256SUMS says). */
export function packMirror(mirrorDir: string, inputs: MirrorInputs, workDir: string): Record<string, string> {
  const names = mirrorFileNames(inputs.versions);
  fs.mkdirSync(mirrorDir, { recursive: true });
  const stage = (name: string): string => {
    const d = path.join(workDir, name);
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true, mode: 0o755 });
    fs.chmodSync(d, 0o755);
    return d;
  };

  // containerd: bin/containerd, bin/containerd-shim-runc-v2, bin/ctr (extracted into /usr/local).
  const c = stage("containerd");
  fs.mkdirSync(path.join(c, "bin"), { mode: 0o755 });
  fs.chmodSync(path.join(c, "bin"), 0o755);
  for (const b of CONTAINERD_BINARIES) copyFile(path.join(inputs.containerdBin, b), path.join(c, "bin", b));
  deterministicTar(c, ["bin"], path.join(mirrorDir, names.containerd), true);

  copyFile(path.join(inputs.runcBin, "runc"), path.join(mirrorDir, names.runc));

  // CNI plugins at the archive root (extracted into /opt/cni/bin), as upstream's `./<plugin>` entries.
  const n = stage("cni");
  for (const p of inputs.cniPlugins) copyFile(path.join(inputs.cniBin, p), path.join(n, p));
  deterministicTar(n, ["."], path.join(mirrorDir, names.cniPlugins), true);

  // crictl at the root, named exactly `crictl` (the script extracts that one member).
  const t = stage("crictl");
  copyFile(path.join(inputs.crictlBin, "crictl"), path.join(t, "crictl"));
  deterministicTar(t, ["crictl"], path.join(mirrorDir, names.crictl), true);

  for (const b of ["kubelet", "kubeadm", "kubectl"] as const) copyFile(path.join(inputs.k8sBin, b), path.join(mirrorDir, names[b]));

  // etcd: etcd-v<V>-linux-amd64/{etcd,etcdctl,etcdutl}.
  const e = stage("etcd");
  const top = `etcd-v${inputs.versions.etcd}-linux-amd64`;
  fs.mkdirSync(path.join(e, top), { mode: 0o755 });
  fs.chmodSync(path.join(e, top), 0o755);
  for (const b of ETCD_ARCHIVE_BINARIES) copyFile(path.join(inputs.k8sBin, b), path.join(e, top, b));
  deterministicTar(e, [top], path.join(mirrorDir, names.etcd), true);

  const sums: Record<string, string> = {};
  for (const f of Object.values(names)) {
    if (!fs.existsSync(path.join(mirrorDir, f))) throw new BuildError(`the mirror lacks ${f} after packing`);
    sums[f] = sha256File(path.join(mirrorDir, f));
  }
  fs.writeFileSync(path.join(mirrorDir, "SHA256SUMS"), renderSha256Sums(sums));
  return sums;
}
