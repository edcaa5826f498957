/**
 * The Kubernetes build (tools/k8s/build.ts): the wrapper module it writes, the version stamped into
 * the binaries, and the advice it gives when it cannot build. The binaries themselves are the ones
 * every real-Kubernetes test uses.
 */
import { spawnSync } from "child_process";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { k8sBin, k8sBinDir } from "../helpers/k8s-bin";
import { binFolder, goVersionAtLeast, kubernetesWrapperGoMod, stagingModules, versionLdflags } from "../../tools/k8s/build";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";

const UPSTREAM = `module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
	k8s.io/utils v0.0.0-20260210185600-b8788abfbbc2
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	k8s.io/sample-cli-plugin => ./staging/src/k8s.io/sample-cli-plugin
)
`;

describe("the wrapper module", () => {
  test("replaces exactly the staging modules k/k requires at v0.0.0 (not the unrequired samples, not pseudo-versions)", () => {
    expect(stagingModules(UPSTREAM)).toEqual(["k8s.io/api", "k8s.io/client-go"]);
  });

  test("pins each to v0.<minor>.<patch> and copies the go and godebug lines", () => {
    const mod = kubernetesWrapperGoMod("1.36.3", UPSTREAM);
    expect(mod).toContain("require k8s.io/kubernetes v1.36.3");
    expect(mod).toContain("\tk8s.io/api => k8s.io/api v0.36.3\n");
    expect(mod).toContain("\tk8s.io/client-go => k8s.io/client-go v0.36.3\n");
    expect(mod).not.toContain("sample-cli-plugin");
    expect(mod).toMatch(/^go 1\.26\.0\ngodebug default=go1\.26$/m);
  });

  test("sets the version on both version packages, as upstream's hack/lib/version.sh does", () => {
    const flags = versionLdflags("1.36.3", "abc", "2026-10-27T12:01:04Z");
    for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
      expect(flags).toEqual(
        expect.arrayContaining([
          `-X ${pkg}.gitVersion=v1.36.3`,
          `-X ${pkg}.gitMajor=1`,
          `-X ${pkg}.gitMinor=36`,
          `-X ${pkg}.gitTreeState=clean`,
        ]),
      );
    }
  });
});

test("Go versions compare numerically (1.26.10 is newer than 1.26.9; 1.26 equals 1.26.0)", () => {
  expect(goVersionAtLeast("1.26.10", "1.26.9")).toBe(true);
  expect(goVersionAtLeast("1.26.8", "1.26.0")).toBe(true);
  expect(goVersionAtLeast("1.26", "1.26.0")).toBe(true);
  expect(goVersionAtLeast("1.25.9", "1.26.0")).toBe(false);
});

describe("the built binaries are the manifest's versions", () => {
  test("kubeadm, kubectl, kube-apiserver, kubelet and etcd report the manifest's versions", () => {
    const v = DEFAULT_VERSIONS;
    expect(k8sBinDir()).toBe(binFolder(v.kubernetes, v.etcd));
    const out = (b: Parameters<typeof k8sBin>[0], args: string[]) => spawnSync(k8sBin(b), args, { encoding: "utf8" }).stdout.trim();
    expect(out("kubeadm", ["version", "-o", "short"])).toBe(`v${v.kubernetes}`);
    expect(out("kubectl", ["version", "--client", "-o", "json"])).toContain(`"gitVersion": "v${v.kubernetes}"`);
    expect(out("kube-apiserver", ["--version"])).toBe(`Kubernetes v${v.kubernetes}`);
    expect(out("kubelet", ["--version"])).toBe(`Kubernetes v${v.kubernetes}`);
    expect(out("etcd", ["--version"])).toContain(`etcd Version: ${v.etcd}`);
    expect(out("etcdutl", ["version"])).toContain(`etcdutl version: ${v.etcd}`);
  });
});

describe("what the build says when it cannot build", () => {
  const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
  const build = path.join(__dirname, "..", "..", "tools", "k8s", "build.ts");

  test("without Go it stops and says what to install", () => {
    const r = spawnSync(tsx, [build, "--cache-dir", mkdtempSync(path.join(tmpdir(), "nogo-"))], {
      encoding: "utf8",
      env: { ...process.env, PATH: path.dirname(process.execPath) },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Go is not installed (or not on PATH). Building Kubernetes needs Go >= 1.26");
  });

  test("a version the proxy does not serve is refused with the releases it does serve", () => {
    const cache = mkdtempSync(path.join(tmpdir(), "unserved-"));
    const r = spawnSync(tsx, [build, "--kubernetes", "1.36.99", "--cache-dir", cache], { encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("does not serve k8s.io/kubernetes@v1.36.99");
    expect(r.stderr).toMatch(/It serves these 1\.36 releases: .*v1\.36\.3/);
    expect(r.stderr).toContain("Pin one of them in the manifest (components/versions/manifest.ts) or pass --kubernetes.");
  });
});
