/**
 * The offline node artifacts (tools/node-artifacts/build.ts): the mirror's file names against the
 * download URLs of the Packer provisioners, the archives' layouts as the scripts extract them, the
 * versions the binaries report (90-verify.sh's own checks), the image list against the real kubeadm's
 * `config images list` (70-prepull.sh's configuration), the images' content and determinism, and an
 * import of every image into a throwaway containerd (the one built here, from the mirror) that then
 * runs containers with the built runc.
 *
 * Runs as root (chroot, unshare, containerd). The first run builds everything (minutes); later runs
 * reuse the cache.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { MANIFEST_VARIABLES } from "../../components/images/packer";
import { artifactUrl, artifactVersions } from "../../components/versions/artifacts";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { KUBERNETES_BINARIES, ensureBinaries } from "../../tools/k8s/build";
import { artifactsKey, ensureNodeArtifacts, type NodeArtifacts, type NodeVersions } from "../../tools/node-artifacts/build";
import { compareVersions, copyableReplaces, servedFallback, wrapperGoMod } from "../../tools/node-artifacts/go-builds";
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
import { MIRROR_ARTIFACTS, mirrorFileName, mirrorFileNames, renderSha256Sums } from "../../tools/node-artifacts/mirror";
import { parseLdd } from "../../tools/node-artifacts/image-rootfs";
import { k8sBin, k8sBinDir } from "../helpers/k8s-bin";

const REPO = path.join(__dirname, "..", "..");
const SCRIPTS = path.join(REPO, "packer", "scripts");
const DOWNLOAD_SCRIPTS = ["20-containerd.sh", "30-kubernetes.sh", "40-etcd.sh"];
const BUILD_TIMEOUT = 60 * 60_000;

/** The environment build.pkr.hcl gives the scripts (KUBERNETES_VERSION=${var.kubernetes_version}, ...), for these versions. */
function scriptEnv(v: NodeVersions): Record<string, string> {
  const hcl = readFileSync(path.join(REPO, "packer", "build.pkr.hcl"), "utf8");
  const fieldOf = Object.fromEntries(Object.entries(MANIFEST_VARIABLES).map(([field, variable]) => [variable, field]));
  const env: Record<string, string> = {};
  for (const m of hcl.matchAll(/"([A-Z0-9_]+)=\$\{var\.([a-z0-9_]+)\}"/g)) {
    const field = fieldOf[m[2]!] as keyof NodeVersions | undefined;
    if (field && field in v) env[m[1]!] = v[field];
  }
  return env;
}

function substitute(s: string, env: Record<string, string>): string {
  return s.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    if (!(name in env)) throw new Error(`no value for \${${name}} in ${s}`);
    return env[name]!;
  });
}

/** Every URL the download scripts `fetch`, with the variables of `env` substituted. */
function scriptDownloadUrls(env: Record<string, string>): string[] {
  const urls: string[] = [];
  for (const s of DOWNLOAD_SCRIPTS) {
    const text = readFileSync(path.join(SCRIPTS, s), "utf8");
    for (const m of text.matchAll(/^\s*fetch\s+"([^"]+)"/gm)) urls.push(substitute(m[1]!, env));
  }
  return urls;
}

function sh(cmd: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number | null; out: string } {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function tarMember(archive: string, member: string): string {
  const r = spawnSync("tar", ["-xOf", archive, member], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tar -xOf ${archive} ${member}: ${r.stderr}`);
  return r.stdout;
}

interface Archive {
  manifest: { Config: string; RepoTags: string[]; Layers: string[] }[];
  config: { architecture: string; os: string; config: { Env: string[]; Entrypoint?: string[]; Cmd?: string[] }; rootfs: { type: string; diff_ids: string[] } };
  /** `tar -tv --numeric-owner` lines of the layer. */
  layer: string[];
  layerSha256: string;
}

function readArchive(file: string): Archive {
  const manifest = JSON.parse(tarMember(file, "manifest.json")) as Archive["manifest"];
  const config = JSON.parse(tarMember(file, manifest[0]!.Config)) as Archive["config"];
  const layerMember = manifest[0]!.Layers[0]!;
  const hashed = sh(`tar -xOf '${file}' '${layerMember}' | sha256sum`);
  const listed = sh(`tar -xOf '${file}' '${layerMember}' | tar -tv --numeric-owner`);
  return { manifest, config, layer: listed.out.trim().split("\n"), layerSha256: hashed.out.split(" ")[0]! };
}

let r: NodeArtifacts;

beforeAll(() => {
  r = ensureNodeArtifacts({ log: () => undefined });
}, BUILD_TIMEOUT);

describe("the mirror's file names are the packer scripts' download basenames", () => {
  test("for the manifest's versions: every fetched URL's basename is produced, and nothing else", () => {
    const versions = artifactVersions(DEFAULT_VERSIONS);
    const { awsCli: _aws, ...mirrored } = versions;
    const names = Object.values(mirrorFileNames(mirrored)).sort();
    const fetched = scriptDownloadUrls(scriptEnv({ ...DEFAULT_VERSIONS })).map((u) => path.posix.basename(new URL(u).pathname)).sort();
    expect(fetched).toHaveLength(MIRROR_ARTIFACTS.length);
    expect(fetched).toEqual(names);
  });

  test("each name is the basename of the artifact's canonical URL (components/versions/artifacts.ts)", () => {
    for (const a of MIRROR_ARTIFACTS) expect(mirrorFileName(a, "9.8.7")).toBe(path.posix.basename(new URL(artifactUrl(a, "9.8.7")).pathname));
  });

  test("the built mirror holds exactly the files the scripts fetch for the built versions, plus SHA256SUMS", () => {
    const fetched = scriptDownloadUrls(scriptEnv(r.versions)).map((u) => path.posix.basename(new URL(u).pathname));
    expect(readdirSync(r.mirrorDir).sort()).toEqual([...fetched, "SHA256SUMS"].sort());
    expect(Object.values(r.files).sort()).toEqual([...fetched].sort());
  });

  test("SHA256SUMS is in sha256sum format, verifies, and is what the result reports", () => {
    const sums = readFileSync(path.join(r.mirrorDir, "SHA256SUMS"), "utf8");
    expect(sums).toBe(renderSha256Sums(r.sha256));
    expect(sums).toMatch(/^([0-9a-f]{64} {2}\S+\n)+$/);
    const check = sh("sha256sum --check --strict SHA256SUMS", { cwd: r.mirrorDir });
    expect(check.out).not.toContain("FAILED");
    expect(check.status).toBe(0);
    expect(Object.keys(r.sha256)).toHaveLength(MIRROR_ARTIFACTS.length);
  });

  test("renderSha256Sums sorts by file name", () => {
    expect(renderSha256Sums({ b: "2".repeat(64), a: "1".repeat(64) })).toBe(`${"1".repeat(64)}  a\n${"2".repeat(64)}  b\n`);
  });
});

describe("the versions built", () => {
  test("are the manifest's, except a release the module proxy does not serve (crictl), replaced by an older one of the same major", () => {
    expect(r.requested).toEqual(Object.fromEntries(Object.keys(r.requested).map((k) => [k, DEFAULT_VERSIONS[k as keyof NodeVersions]])));
    for (const [k, built] of Object.entries(r.versions) as [keyof NodeVersions, string][]) {
      const want = r.requested[k];
      if (built === want) continue;
      expect(k).toBe("crictl");
      expect(built.split(".")[0]).toBe(want.split(".")[0]);
      expect(compareVersions(built, want)).toBeLessThan(0);
    }
  });

  test("runc is linked statically (seccomp via libseccomp)", () => {
    expect(r.runcLinkage).toMatch(/^static/);
  });
});

describe("installed as the scripts install them, the binaries pass 90-verify.sh's version checks", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "pka-mirror-"));
    const f = r.files;
    const m = (n: string) => path.join(r.mirrorDir, n);
    for (const d of ["usr/local/bin", "usr/local/sbin", "opt/cni/bin", "work"]) mkdirSync(path.join(root, d), { recursive: true });
    // The commands of 20-containerd.sh, 30-kubernetes.sh and 40-etcd.sh, rooted in a scratch folder.
    const steps = [
      `tar -C ${root}/usr/local -xzf ${m(f.containerd)}`,
      `install -m 0755 ${m(f.runc)} ${root}/usr/local/sbin/runc`,
      `tar -C ${root}/opt/cni/bin -xzf ${m(f.cniPlugins)}`,
      `tar -C ${root}/usr/local/bin -xzf ${m(f.crictl)} crictl`,
      ...["kubelet", "kubeadm", "kubectl"].map((b) => `install -m 0755 ${m(b)} ${root}/usr/local/bin/${b}`),
      `tar -C ${root}/work -xzf ${m(f.etcd)}`,
      ...["etcd", "etcdctl", "etcdutl"].map((b) => `install -m 0755 ${root}/work/etcd-v${r.versions.etcd}-linux-amd64/${b} ${root}/usr/local/bin/${b}`),
    ];
    for (const s of steps) {
      const res = sh(s);
      if (res.status !== 0) throw new Error(`${s}: ${res.out}`);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("every binary check of 90-verify.sh passes (containerd, runc, crictl, kubelet, kubeadm, kubectl, etcd, etcdctl, etcdutl)", () => {
    const verify = readFileSync(path.join(SCRIPTS, "90-verify.sh"), "utf8");
    const env = scriptEnv(r.versions);
    const binaries = ["kubelet", "kubeadm", "kubectl", "containerd", "runc", "crictl", "etcd", "etcdctl", "etcdutl"];
    const checks = [...verify.matchAll(/^expect ([\w-]+) "([^"]+)" "\$\((.+)\)"$/gm)].filter((m) => binaries.includes(m[1]!));
    expect(checks.map((m) => m[1]).sort()).toEqual([...binaries].sort());
    const PATH = `${root}/usr/local/bin:${root}/usr/local/sbin:/usr/bin:/bin`;
    for (const m of checks) {
      const want = substitute(m[2]!, env);
      const got = sh(m[3]!, { env: { PATH } });
      expect({ check: m[1], out: got.out }).toEqual({ check: m[1], out: expect.stringContaining(want) });
    }
    // And the manifest's versions, for those built at them.
    expect(sh("containerd --version", { env: { PATH } }).out).toContain(`v${DEFAULT_VERSIONS.containerd}`);
    expect(sh("runc --version", { env: { PATH } }).out).toContain(`runc version ${DEFAULT_VERSIONS.runc}`);
    expect(sh("runc --version", { env: { PATH } }).out).toMatch(/libseccomp: \d+\.\d+\.\d+/);
    expect(sh("crictl --version", { env: { PATH } }).out).toContain(`v${r.versions.crictl}`);
  });

  test("containerd's archive has bin/{containerd,containerd-shim-runc-v2,ctr}; the etcd one its versioned top folder", () => {
    for (const b of ["containerd", "containerd-shim-runc-v2", "ctr"]) expect(existsSync(path.join(root, "usr/local/bin", b))).toBe(true);
    expect(readdirSync(path.join(root, "work"))).toEqual([`etcd-v${r.versions.etcd}-linux-amd64`]);
  });

  test("the CNI plugins land in /opt/cni/bin, each stamped with the manifest's version", () => {
    const plugins = readdirSync(path.join(root, "opt/cni/bin"));
    expect(plugins).toEqual(expect.arrayContaining(["bridge", "host-local", "loopback", "portmap", "bandwidth", "firewall", "tuning", "host-device", "ptp"]));
    for (const p of ["bridge", "host-local", "loopback", "portmap"]) {
      expect(sh(path.join(root, "opt/cni/bin", p)).out).toContain(`CNI ${p} plugin v${DEFAULT_VERSIONS.cniPlugins}`);
    }
  });
});

describe("the images are exactly what kubeadm lists, plus the pause sandbox and the busybox test image", () => {
  test("the built kubeadm's list for 70-prepull.sh's own configuration", () => {
    const prepull = readFileSync(path.join(SCRIPTS, "70-prepull.sh"), "utf8");
    const heredoc = /<<CONF\n([\s\S]*?)\nCONF/.exec(prepull)![1]!;
    const dir = mkdtempSync(path.join(tmpdir(), "pka-images-"));
    try {
      writeFileSync(path.join(dir, "kubeadm-images.yaml"), substitute(heredoc, scriptEnv(r.versions)));
      const listed = spawnSync(k8sBin("kubeadm"), ["config", "images", "list", "--config", path.join(dir, "kubeadm-images.yaml")], { encoding: "utf8" });
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
      const want = [...new Set([...refs, `registry.k8s.io/pause:${DEFAULT_VERSIONS.pause}`, `${BUSYBOX_REPOSITORY}:${busyboxTag(debVersion("busybox-static"))}`])];
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
    expect(imageRefs(["registry.k8s.io/pause:3.10.2", "registry.k8s.io/etcd:3.6.8-0"], "3.10.2", "1.35.0")).toEqual(["registry.k8s.io/pause:3.10.2", "registry.k8s.io/etcd:3.6.8-0", "pka.local/busybox:1.35.0"]);
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
    "kube-proxy": ["./usr/local/bin/kube-proxy", "./usr/sbin/xtables-nft-multi", "./usr/sbin/iptables -> xtables-nft-multi", "./usr/sbin/ip6tables-restore -> xtables-nft-multi", "./usr/lib/x86_64-linux-gnu/xtables/libxt_comment.so", "./usr/lib64/ld-linux-x86-64.so.2"],
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
    expect(c).toMatchObject({ architecture: "amd64", os: "linux", config: { Entrypoint: ["/pause"] }, rootfs: { type: "layers", diff_ids: ["sha256:abc"] } });
    expect(JSON.parse(dockerManifest("c.json", "registry.k8s.io/pause:3.10.2", ["l/layer.tar"]))).toEqual([{ Config: "c.json", RepoTags: ["registry.k8s.io/pause:3.10.2"], Layers: ["l/layer.tar"] }]);
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
        const once = buildImage(ref, mkdtempSync(path.join(dir, "a-")), path.join(dir, "work-a"), { k8sBin: k8sBinDir(), corednsBin: "/nonexistent", pauseBin });
        const twice = buildImage(ref, mkdtempSync(path.join(dir, "b-")), path.join(dir, "work-b"), { k8sBin: k8sBinDir(), corednsBin: "/nonexistent", pauseBin });
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

describe("a throwaway containerd (built here, installed from the mirror) imports every image and runs them", () => {
  let dir: string;
  let daemon: ChildProcess;
  let sock: string;
  let bin: string;
  const ctr = (args: string[]) => spawnSync(path.join(bin, "ctr"), ["--address", sock, "-n", "k8s.io", ...args], { encoding: "utf8", timeout: 60_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "pka-containerd-"));
    bin = path.join(dir, "bin");
    mkdirSync(bin);
    spawnSync("tar", ["-C", dir, "-xzf", path.join(r.mirrorDir, r.files.containerd)]);
    spawnSync("install", ["-m", "0755", path.join(r.mirrorDir, r.files.runc), path.join(bin, "runc")]);
    sock = path.join(dir, "containerd.sock");
    const config = [
      "version = 3",
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]',
      "[grpc]",
      `  address = "${sock}"`,
      "",
    ].join("\n");
    writeFileSync(path.join(dir, "config.toml"), config);
    daemon = spawn(path.join(bin, "containerd"), ["--config", path.join(dir, "config.toml"), "--log-level", "warn"], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      stdio: "ignore",
    });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((res) => setTimeout(res, 100));
  }, 30_000);

  afterAll(() => {
    daemon?.kill("SIGTERM");
    spawnSync("sh", ["-c", `grep ' ${dir}/' /proc/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("ctr images import (pinned) accepts every archive, and lists each name with the pin label", () => {
    expect(existsSync(sock)).toBe(true);
    for (const img of r.images) {
      const res = ctr(["images", "import", "--label=io.cri-containerd.pinned=pinned", img.file]);
      expect({ file: path.basename(img.file), status: res.status, err: res.status === 0 ? "" : res.stderr }).toEqual({ file: path.basename(img.file), status: 0, err: "" });
    }
    const listed = ctr(["images", "ls"]);
    expect(listed.status).toBe(0);
    for (const img of r.images) {
      const line = listed.stdout.split("\n").find((l) => l.startsWith(`${img.ref} `));
      expect({ ref: img.ref, line }).toEqual({ ref: img.ref, line: expect.stringContaining("io.cri-containerd.pinned=pinned") });
      expect(line).toContain("linux/amd64");
    }
  }, 180_000);

  test("containers run with the built runc: busybox under seccomp, kube-proxy's iptables, etcd and coredns report their versions", () => {
    const run = (ref: string, id: string, args: string[], extra: string[] = []) => {
      const res = ctr(["run", "--rm", ...extra, ref, id, ...args]);
      return `${res.stdout}${res.stderr}`;
    };
    const busybox = r.images.find((i) => i.role === "busybox")!.ref;
    expect(run(busybox, "t-seccomp", ["sh", "-c", "grep ^Seccomp: /proc/self/status; echo ok"], ["--seccomp"])).toMatch(/Seccomp:\s+2\s+ok/);
    const proxy = `registry.k8s.io/kube-proxy:v${r.versions.kubernetes}`;
    expect(run(proxy, "t-iptables", ["iptables", "--version"])).toContain("(nf_tables)");
    expect(run(proxy, "t-proxy", ["kube-proxy", "--version"])).toContain(`Kubernetes v${r.versions.kubernetes}`);
    expect(run(`registry.k8s.io/etcd:${r.versions.etcd}-0`, "t-etcd", ["etcd", "--version"])).toContain(`etcd Version: ${r.versions.etcd}`);
    expect(run(`registry.k8s.io/coredns/coredns:v${r.versions.coredns}`, "t-coredns", ["/coredns", "-version"])).toContain(`CoreDNS-${r.versions.coredns}`);
  }, 120_000);

  test("the pause image's process runs until SIGTERM, then exits 0", async () => {
    const ref = `registry.k8s.io/pause:${r.versions.pause}`;
    expect(ctr(["run", "-d", ref, "t-pause", "/pause"]).status).toBe(0);
    await new Promise((res) => setTimeout(res, 500));
    expect(ctr(["tasks", "ls"]).stdout).toMatch(/t-pause\s+\d+\s+RUNNING/);
    expect(ctr(["tasks", "kill", "-s", "SIGTERM", "t-pause"]).status).toBe(0);
    let status = "";
    for (let i = 0; i < 50 && !status.includes("STOPPED"); i++) {
      await new Promise((res) => setTimeout(res, 100));
      status = ctr(["tasks", "ls"]).stdout;
    }
    expect(status).toMatch(/t-pause\s+\d+\s+STOPPED/);
    const del = ctr(["tasks", "delete", "t-pause"]);
    expect(del.status).toBe(0);
    expect(del.stdout + del.stderr).not.toContain("non-zero exit code"); // what ctr says of a task that exited non-zero
    ctr(["containers", "delete", "t-pause"]);
  }, 60_000);
});

test("pause (from its image's layer), as PID 1 of a PID namespace, reaps orphaned children and exits 0 on SIGTERM", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pka-pause-"));
  try {
    const img = r.images.find((i) => i.role === "pause")!;
    const layer = readArchive(img.file).manifest[0]!.Layers[0]!;
    expect(sh(`tar -xOf '${img.file}' '${layer}' | tar -x -C '${dir}' ./pause`).status).toBe(0);
    const u = spawn("unshare", ["--pid", "--fork", "--kill-child", path.join(dir, "pause")], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    u.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => u.on("exit", (code) => res(code)));
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    let init = "";
    for (let i = 0; i < 50 && !init; i++) {
      await sleep(50);
      init = spawnSync("pgrep", ["-P", String(u.pid)], { encoding: "utf8" }).stdout.trim();
    }
    expect(init).toMatch(/^\d+$/);
    // Two processes whose parent exits at once: the namespace's PID 1 (pause) inherits them.
    expect(spawnSync("nsenter", ["-t", init, "-p", "--", "sh", "-c", "sleep 0.2 & sleep 0.2 & exit 0"]).status).toBe(0);
    await sleep(1000);
    const children = spawnSync("ps", ["-o", "pid=,stat=", "--ppid", init], { encoding: "utf8" }).stdout.trim();
    expect(children).toBe(""); // no zombie left (a non-reaping PID 1 keeps two "Z" entries here)
    process.kill(Number(init), "SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("shutting down");
    expect(stderr).not.toContain("not running as PID 1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

describe("the wrapper modules and fallbacks (pure)", () => {
  test("servedFallback picks the newest served release of the same major not newer than the requested one", () => {
    expect(servedFallback("1.35.0", ["v1.34.0", "v1.37.0"])).toBe("1.34.0");
    expect(servedFallback("1.35.0", ["v1.33.10", "v1.33.9", "v1.35.0-rc.1", "v1.36.0"])).toBe("1.33.10");
    expect(servedFallback("2.0.0", ["v1.9.9"])).toBeUndefined();
  });

  test("wrapperGoMod requires the exact version and copies go, godebug and module (not path) replaces", () => {
    const upstream = "module x\n\ngo 1.24.2\n\ngodebug default=go1.24\n\nreplace (\n\tgithub.com/a/b => github.com/c/b v1.2.3 // fork\n\tgithub.com/d/e => ./local\n)\nreplace github.com/f/g v1.0.0 => github.com/h/g v1.0.1\n";
    expect(copyableReplaces(upstream)).toEqual(["github.com/a/b => github.com/c/b v1.2.3", "github.com/f/g v1.0.0 => github.com/h/g v1.0.1"]);
    const mod = wrapperGoMod("crictl", "sigs.k8s.io/cri-tools", "1.34.0", upstream);
    expect(mod).toContain("require sigs.k8s.io/cri-tools v1.34.0\n");
    expect(mod).toMatch(/^go 1\.24\.2\ngodebug default=go1\.24$/m);
    expect(mod).toContain("\tgithub.com/a/b => github.com/c/b v1.2.3\n");
    expect(mod).not.toContain("./local");
  });

  test("parseLdd reads both line forms and refuses a missing library", () => {
    expect(parseLdd("\tlinux-vdso.so.1 (0x1)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n")).toEqual(["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
    expect(() => parseLdd("\tlibfoo.so.1 => not found\n")).toThrow("missing");
  });

  test("the cache key names every version and changes with the host packages", () => {
    const v = { ...DEFAULT_VERSIONS };
    const key = artifactsKey(v, { busybox: "1" });
    for (const x of [v.kubernetes, v.etcd, v.containerd, v.runc, v.cniPlugins, v.crictl, v.coredns, v.pause]) expect(key).toContain(x);
    expect(artifactsKey(v, { busybox: "2" })).not.toBe(key);
  });
});

test("a second run reuses the cache and returns the same result at once", () => {
  const started = Date.now();
  const again = ensureNodeArtifacts({ log: () => undefined });
  expect(Date.now() - started).toBeLessThan(3000);
  expect(again).toEqual(r);
});

test("tools/k8s/build.ts builds kube-proxy into a cache folder made before kube-proxy was on its list", () => {
  expect(KUBERNETES_BINARIES).toContain("kube-proxy");
  const v = DEFAULT_VERSIONS;
  const real = path.dirname(path.dirname(k8sBinDir())); // <cache>/bin/<folder> -> <cache>
  const cache = mkdtempSync(path.join(tmpdir(), "pka-oldcache-"));
  try {
    // An old cache: the six binaries and etcd, no kube-proxy; the real Go caches so the build is incremental.
    symlinkSync(path.join(real, "go"), path.join(cache, "go"));
    const k8sOut = path.join(cache, "kubernetes", v.kubernetes, "bin");
    mkdirSync(k8sOut, { recursive: true });
    for (const b of KUBERNETES_BINARIES.filter((b) => b !== "kube-proxy")) symlinkSync(path.join(real, "kubernetes", v.kubernetes, "bin", b), path.join(k8sOut, b));
    mkdirSync(path.join(cache, "etcd", v.etcd), { recursive: true });
    symlinkSync(path.join(real, "etcd", v.etcd, "bin"), path.join(cache, "etcd", v.etcd, "bin"));
    const lines: string[] = [];
    const bin = ensureBinaries({ cacheDir: cache, log: (l) => lines.push(l) });
    expect(lines[0]).toBe(`Building Kubernetes v${v.kubernetes} (kube-proxy) with ${spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).stdout.trim()}`);
    expect(spawnSync(path.join(bin, "kube-proxy"), ["--version"], { encoding: "utf8" }).stdout.trim()).toBe(`Kubernetes v${v.kubernetes}`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}, 15 * 60_000);

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function debVersion(pkg: string): string | undefined {
  const res = spawnSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.trim() : undefined;
}
