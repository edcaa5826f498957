/**
 * The node artifacts' container images (tools/node-artifacts/images.ts): the image list against the
 * real kubeadm's `config images list` (70-prepull.sh's configuration), and the archives' format,
 * entrypoints, content and determinism. Importing and running them: node-artifacts-runtime.test.ts.
 *
 * Runs as root. The first run builds everything (minutes); later runs reuse the cache.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { ensureNodeArtifacts, type NodeArtifacts } from "../../tools/node-artifacts/build";
import {
  BUSYBOX_REPOSITORY,
  buildImage,
  busyboxTag,
  dockerManifest,
  imageArchiveName,
  imageConfig,
  imageRefs,
  imageRole,
  kubeadmImagesConfig,
} from "../../tools/node-artifacts/images";
import { k8sBin, k8sBinDir } from "../helpers/k8s-bin";
import { BUILD_TIMEOUT, SCRIPTS, debVersion, readArchive, scriptEnv, sh, sha256, substitute, tarMember } from "./node-artifacts-fixtures";

let r: NodeArtifacts;

beforeAll(() => {
  r = ensureNodeArtifacts({ log: () => undefined });
}, BUILD_TIMEOUT);

describe("the images are exactly what kubeadm lists, plus the pause sandbox and the busybox test image", () => {
  test("the built kubeadm's list for 70-prepull.sh's own configuration", () => {
    const prepull = readFileSync(path.join(SCRIPTS, "70-prepull.sh"), "utf8");
    const heredoc = /<<CONF\n([\s\S]*?)\nCONF/.exec(prepull)![1]!;
    const dir = mkdtempSync(path.join(tmpdir(), "pka-images-"));
    try {
      writeFileSync(path.join(dir, "kubeadm-images.yaml"), substitute(heredoc, scriptEnv(r.versions)));
      const listed = spawnSync(k8sBin("kubeadm"), ["config", "images", "list", "--config", path.join(dir, "kubeadm-images.yaml")], {
        encoding: "utf8",
      });
      expect(listed.status).toBe(0);
      const refs = listed.stdout.trim().split("\n");
      expect(refs).toEqual(
        expect.arrayContaining([
          `registry.k8s.io/kube-apiserver:v${DEFAULT_VERSIONS.kubernetes}`,
          `registry.k8s.io/kube-proxy:v${DEFAULT_VERSIONS.kubernetes}`,
          `registry.k8s.io/etcd:${DEFAULT_VERSIONS.etcd}-0`,
          `registry.k8s.io/coredns/coredns:v${DEFAULT_VERSIONS.coredns}`,
        ]),
      );
      const want = [
        ...new Set([
          ...refs,
          `registry.k8s.io/pause:${DEFAULT_VERSIONS.pause}`,
          `${BUSYBOX_REPOSITORY}:${busyboxTag(debVersion("busybox-static"))}`,
        ]),
      ];
      expect(r.images.map((i) => i.ref).sort()).toEqual(want.sort());
      expect(readdirSync(r.imagesDir).sort()).toEqual(want.map(imageArchiveName).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the tool's kubeadm configuration is 70-prepull.sh's ClusterConfiguration", () => {
    const prepull = readFileSync(path.join(SCRIPTS, "70-prepull.sh"), "utf8");
    const heredoc = substitute(/<<CONF\n([\s\S]*?)\nCONF/.exec(prepull)![1]!, scriptEnv({ ...DEFAULT_VERSIONS }));
    const cluster = heredoc.split("---\n").find((d) => d.includes("kind: ClusterConfiguration"))!;
    expect(kubeadmImagesConfig(DEFAULT_VERSIONS).trim()).toBe(cluster.trim());
  });

  test("imageRefs adds the pause and busybox images once; imageRole refuses an image it cannot build", () => {
    expect(imageRefs(["registry.k8s.io/pause:3.10.2", "registry.k8s.io/etcd:3.6.8-0"], "3.10.2", "1.35.0")).toEqual([
      "registry.k8s.io/pause:3.10.2",
      "registry.k8s.io/etcd:3.6.8-0",
      "pka.local/busybox:1.35.0",
    ]);
    expect(imageRole("registry.k8s.io/coredns/coredns:v1.14.2")).toBe("coredns");
    expect(imageRole("pka.local/busybox:1")).toBe("busybox");
    expect(() => imageRole("registry.k8s.io/kube-dns:1.0")).toThrow("does not know how to build");
    expect(() => imageRole("docker.io/library/etcd:3")).toThrow("does not know how to build");
    expect(imageArchiveName("registry.k8s.io/coredns/coredns:v1.14.2")).toBe("registry.k8s.io_coredns_coredns_v1.14.2.tar");
  });

  test("the busybox tag is Debian's upstream version (no epoch, no revision), else 1", () => {
    expect(busyboxTag("1:1.35.0-4+deb12u1+b1")).toBe("1.35.0");
    expect(busyboxTag("1.36.1-9")).toBe("1.36.1");
    expect(busyboxTag(undefined)).toBe("1");
  });
});

describe("the image archives", () => {
  const expectFiles: Record<string, string[]> = {
    "kube-apiserver": ["./usr/local/bin/kube-apiserver"],
    "kube-controller-manager": ["./usr/local/bin/kube-controller-manager"],
    "kube-scheduler": ["./usr/local/bin/kube-scheduler"],
    "kube-proxy": [
      "./usr/local/bin/kube-proxy",
      "./usr/sbin/xtables-nft-multi",
      "./usr/sbin/iptables -> xtables-nft-multi",
      "./usr/sbin/ip6tables-restore -> xtables-nft-multi",
      "./usr/lib/x86_64-linux-gnu/xtables/libxt_comment.so",
      "./usr/lib64/ld-linux-x86-64.so.2",
    ],
    etcd: ["./usr/local/bin/etcd", "./usr/local/bin/etcdctl", "./usr/local/bin/etcdutl"],
    coredns: ["./coredns"],
    pause: ["./pause"],
    busybox: ["./bin/busybox", "./bin/sh -> busybox", "./bin/nslookup -> busybox", "./bin/wget -> busybox", "./bin/sleep -> busybox"],
  };

  test("are docker archives: manifest.json names the config and the layer, the config's diff_id is the layer's sha256", () => {
    for (const img of r.images) {
      const a = readArchive(img.file);
      expect(a.manifest).toHaveLength(1);
      expect(a.manifest[0]!.RepoTags).toEqual([img.ref]);
      expect(a.manifest[0]!.Config).toBe(`${img.id.replace("sha256:", "")}.json`);
      expect(createHash("sha256").update(tarMember(img.file, a.manifest[0]!.Config)).digest("hex")).toBe(img.id.replace("sha256:", ""));
      expect(a.config.rootfs).toEqual({ type: "layers", diff_ids: [`sha256:${a.layerSha256}`] });
      expect(a.config.architecture).toBe("amd64");
      expect(a.config.os).toBe("linux");
      expect(a.config.config.Env).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    }
  });

  test("start the right process: coredns and pause by absolute entrypoint, the control plane from /usr/local/bin", () => {
    const byRole = Object.fromEntries(r.images.map((i) => [i.role, readArchive(i.file).config.config]));
    expect(byRole.coredns!.Entrypoint).toEqual(["/coredns"]);
    expect(byRole.pause!.Entrypoint).toEqual(["/pause"]);
    expect(byRole["kube-apiserver"]!.Entrypoint).toEqual(["/usr/local/bin/kube-apiserver"]);
    expect(byRole.busybox!.Cmd).toEqual(["sh"]);
  });

  test("hold their files, every entry owned by 0:0 with mtime 0", () => {
    for (const img of r.images) {
      const a = readArchive(img.file);
      const entries = a.layer.map((l) => l.split(/\s+/).slice(5).join(" "));
      for (const f of expectFiles[img.role]!) expect({ image: img.ref, has: entries.includes(f) }).toEqual({ image: img.ref, has: true });
      for (const l of a.layer) expect(l).toMatch(/^\S+ 0\/0 +\d+ 1970-01-01 00:00 /);
      const names = entries.map((e) => e.replace(/ -> .*/, ""));
      expect(names).toEqual([...names].sort());
    }
  });

  test("imageConfig and dockerManifest render what the archives hold (pure)", () => {
    const c = imageConfig("pause", ["sha256:abc"]);
    expect(c).toMatchObject({
      architecture: "amd64",
      os: "linux",
      config: { Entrypoint: ["/pause"] },
      rootfs: { type: "layers", diff_ids: ["sha256:abc"] },
    });
    expect(JSON.parse(dockerManifest("c.json", "registry.k8s.io/pause:3.10.2", ["l/layer.tar"]))).toEqual([
      { Config: "c.json", RepoTags: ["registry.k8s.io/pause:3.10.2"], Layers: ["l/layer.tar"] },
    ]);
  });

  test("are deterministic: building the kube-proxy and pause images again gives the same bytes and image ids", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pka-determinism-"));
    try {
      const pauseBin = path.join(dir, "pause-bin");
      mkdirSync(pauseBin);
      const cached = (role: string) => r.images.find((i) => i.role === role)!;
      spawnSync("tar", ["-xf", cached("pause").file, "-C", dir]);
      const pauseLayer = readArchive(cached("pause").file).manifest[0]!.Layers[0]!;
      sh(`tar -xf '${path.join(dir, pauseLayer)}' -C '${pauseBin}' ./pause`);
      const refs = [`registry.k8s.io/kube-proxy:v${r.versions.kubernetes}`, `registry.k8s.io/pause:${r.versions.pause}`];
      for (const ref of refs) {
        const once = buildImage(ref, mkdtempSync(path.join(dir, "a-")), path.join(dir, "work-a"), {
          k8sBin: k8sBinDir(),
          corednsBin: "/nonexistent",
          pauseBin,
        });
        const twice = buildImage(ref, mkdtempSync(path.join(dir, "b-")), path.join(dir, "work-b"), {
          k8sBin: k8sBinDir(),
          corednsBin: "/nonexistent",
          pauseBin,
        });
        const want = r.images.find((i) => i.ref === ref)!;
        expect(once.id).toBe(twice.id);
        expect(once.id).toBe(want.id);
        expect(sha256(once.file)).toBe(sha256(twice.file));
        expect(sha256(once.file)).toBe(sha256(want.file));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
