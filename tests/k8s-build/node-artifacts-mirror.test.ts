/**
 * The offline node artifacts (tools/node-artifacts/build.ts), what the Packer provisioners download:
 * the mirror's file names against the download URLs of the scripts, the versions built, the archives'
 * layouts as the scripts extract them and the versions the installed binaries report (90-verify.sh's
 * own checks); and the build itself: the wrapper modules and fallbacks, the cache and its key.
 * The images are node-artifacts-images.test.ts; running them, node-artifacts-runtime.test.ts.
 *
 * Runs as root. The first run builds everything (minutes); later runs reuse the cache.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { artifactUrl, artifactVersions } from "../../components/versions/artifacts";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { KUBERNETES_BINARIES, ensureBinaries } from "../../tools/k8s/build";
import { artifactsKey, ensureNodeArtifacts, type NodeArtifacts, type NodeVersions } from "../../tools/node-artifacts/build";
import { compareVersions, copyableReplaces, servedFallback, wrapperGoMod } from "../../tools/node-artifacts/go-builds";
import { MIRROR_ARTIFACTS, mirrorFileName, mirrorFileNames, renderSha256Sums } from "../../tools/node-artifacts/mirror";
import { parseLdd } from "../../tools/node-artifacts/image-rootfs";
import { k8sBinDir } from "../helpers/k8s-bin";
import { BUILD_TIMEOUT, SCRIPTS, scriptDownloadUrls, scriptEnv, sh, substitute } from "./node-artifacts-fixtures";

let r: NodeArtifacts;

beforeAll(() => {
  r = ensureNodeArtifacts({ log: () => undefined });
}, BUILD_TIMEOUT);

describe("the mirror's file names are the packer scripts' download basenames", () => {
  test("for the manifest's versions: every fetched URL's basename is produced, and nothing else", () => {
    const versions = artifactVersions(DEFAULT_VERSIONS);
    const { awsCli: _aws, ...mirrored } = versions;
    const names = Object.values(mirrorFileNames(mirrored)).sort();
    const fetched = scriptDownloadUrls(scriptEnv({ ...DEFAULT_VERSIONS }))
      .map((u) => path.posix.basename(new URL(u).pathname))
      .sort();
    expect(fetched).toHaveLength(MIRROR_ARTIFACTS.length);
    expect(fetched).toEqual(names);
  });

  test("each name is the basename of the artifact's canonical URL (components/versions/artifacts.ts)", () => {
    for (const a of MIRROR_ARTIFACTS)
      expect(mirrorFileName(a, "9.8.7")).toBe(path.posix.basename(new URL(artifactUrl(a, "9.8.7")).pathname));
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
      ...["etcd", "etcdctl", "etcdutl"].map(
        (b) => `install -m 0755 ${root}/work/etcd-v${r.versions.etcd}-linux-amd64/${b} ${root}/usr/local/bin/${b}`,
      ),
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
    expect(plugins).toEqual(
      expect.arrayContaining(["bridge", "host-local", "loopback", "portmap", "bandwidth", "firewall", "tuning", "host-device", "ptp"]),
    );
    for (const p of ["bridge", "host-local", "loopback", "portmap"]) {
      expect(sh(path.join(root, "opt/cni/bin", p)).out).toContain(`CNI ${p} plugin v${DEFAULT_VERSIONS.cniPlugins}`);
    }
  });
});

describe("the wrapper modules and fallbacks (pure)", () => {
  test("servedFallback picks the newest served release of the same major not newer than the requested one", () => {
    expect(servedFallback("1.35.0", ["v1.34.0", "v1.37.0"])).toBe("1.34.0");
    expect(servedFallback("1.35.0", ["v1.33.10", "v1.33.9", "v1.35.0-rc.1", "v1.36.0"])).toBe("1.33.10");
    expect(servedFallback("2.0.0", ["v1.9.9"])).toBeUndefined();
  });

  test("wrapperGoMod requires the exact version and copies go, godebug and module (not path) replaces", () => {
    const upstream =
      "module x\n\ngo 1.24.2\n\ngodebug default=go1.24\n\nreplace (\n\tgithub.com/a/b => github.com/c/b v1.2.3 // fork\n\tgithub.com/d/e => ./local\n)\nreplace github.com/f/g v1.0.0 => github.com/h/g v1.0.1\n";
    expect(copyableReplaces(upstream)).toEqual([
      "github.com/a/b => github.com/c/b v1.2.3",
      "github.com/f/g v1.0.0 => github.com/h/g v1.0.1",
    ]);
    const mod = wrapperGoMod("crictl", "sigs.k8s.io/cri-tools", "1.34.0", upstream);
    expect(mod).toContain("require sigs.k8s.io/cri-tools v1.34.0\n");
    expect(mod).toMatch(/^go 1\.24\.2\ngodebug default=go1\.24$/m);
    expect(mod).toContain("\tgithub.com/a/b => github.com/c/b v1.2.3\n");
    expect(mod).not.toContain("./local");
  });

  test("parseLdd reads both line forms and refuses a missing library", () => {
    expect(
      parseLdd("\tlinux-vdso.so.1 (0x1)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n"),
    ).toEqual(["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
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

test(
  "tools/k8s/build.ts builds kube-proxy into a cache folder made before kube-proxy was on its list",
  () => {
    expect(KUBERNETES_BINARIES).toContain("kube-proxy");
    const v = DEFAULT_VERSIONS;
    const real = path.dirname(path.dirname(k8sBinDir())); // <cache>/bin/<folder> -> <cache>
    const cache = mkdtempSync(path.join(tmpdir(), "pka-oldcache-"));
    try {
      // An old cache: the six binaries and etcd, no kube-proxy; the real Go caches so the build is incremental.
      symlinkSync(path.join(real, "go"), path.join(cache, "go"));
      const k8sOut = path.join(cache, "kubernetes", v.kubernetes, "bin");
      mkdirSync(k8sOut, { recursive: true });
      for (const b of KUBERNETES_BINARIES.filter((b) => b !== "kube-proxy"))
        symlinkSync(path.join(real, "kubernetes", v.kubernetes, "bin", b), path.join(k8sOut, b));
      mkdirSync(path.join(cache, "etcd", v.etcd), { recursive: true });
      symlinkSync(path.join(real, "etcd", v.etcd, "bin"), path.join(cache, "etcd", v.etcd, "bin"));
      const lines: string[] = [];
      const bin = ensureBinaries({ cacheDir: cache, log: (l) => lines.push(l) });
      expect(lines[0]).toBe(
        `Building Kubernetes v${v.kubernetes} (kube-proxy) with ${spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).stdout.trim()}`,
      );
      expect(spawnSync(path.join(bin, "kube-proxy"), ["--version"], { encoding: "utf8" }).stdout.trim()).toBe(
        `Kubernetes v${v.kubernetes}`,
      );
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  },
  15 * 60_000,
);
