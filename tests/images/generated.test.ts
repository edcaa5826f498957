/** The generated Packer files are the render of DEFAULT_VERSIONS, and the renderers refuse what cannot be built. */
import { readFileSync } from "fs";
import * as path from "path";
import fc from "fast-check";
import {
  packerGeneratedFiles,
  packerVariables,
  renderImageTagsHcl,
  renderPackerVarsJson,
  MANIFEST_VARIABLES,
  CHECKSUM_VARIABLES,
} from "../../components/images/packer";
import { stalePackerFiles } from "../../components/images/generate";
import {
  ARTIFACT_SHA256,
  CHECKSUM_SOURCE,
  IMAGE_TOOLS,
  artifactChecksums,
  artifactVersions,
  buildableKubernetesMinors,
  imageBuildProblems,
  type Artifact,
} from "../../components/versions/artifacts";
import { DEFAULT_VERSIONS, SUPPORTED_MINORS, imageTags, minorOf, type PlatformVersions } from "../../components/versions/manifest";
import { PACKER, REPO } from "./tools";

describe("generated Packer files", () => {
  test("the committed files equal the render of DEFAULT_VERSIONS (run npm run images:vars after a manifest change)", () => {
    for (const [file, content] of Object.entries(packerGeneratedFiles(DEFAULT_VERSIONS))) {
      expect({ file, content: readFileSync(path.join(PACKER, file), "utf8") }).toEqual({ file, content });
    }
    expect(stalePackerFiles()).toEqual([]);
  });

  test("a manifest version without a pinned checksum cannot be rendered", () => {
    const v: PlatformVersions = { ...DEFAULT_VERSIONS, containerd: "2.1.5" };
    expect(() => renderPackerVarsJson(v)).toThrow(/containerd 2\.1\.5: no pinned sha256/);
  });

  test("the pkrvars carry every manifest version and every checksum, by the variable names the templates declare", () => {
    const vars = JSON.parse(renderPackerVarsJson(DEFAULT_VERSIONS)) as Record<string, string>;
    expect(vars).toMatchObject({
      os_family: "ubuntu",
      os_release: "24.04",
      kubernetes_version: DEFAULT_VERSIONS.kubernetes,
      kubelet_version: DEFAULT_VERSIONS.kubelet,
      etcd_version: DEFAULT_VERSIONS.etcd,
      containerd_version: DEFAULT_VERSIONS.containerd,
      runc_version: DEFAULT_VERSIONS.runc,
      cni_plugins_version: DEFAULT_VERSIONS.cniPlugins,
      crictl_version: DEFAULT_VERSIONS.crictl,
      coredns_version: DEFAULT_VERSIONS.coredns,
      pause_version: DEFAULT_VERSIONS.pause,
      nvidia_driver_branch: DEFAULT_VERSIONS.nvidiaDriver,
      nvidia_container_toolkit_version: DEFAULT_VERSIONS.nvidiaContainerToolkit,
      aws_cli_version: IMAGE_TOOLS.awsCli,
      kubelet_sha256: ARTIFACT_SHA256.kubelet[DEFAULT_VERSIONS.kubelet],
      containerd_sha256: ARTIFACT_SHA256.containerd[DEFAULT_VERSIONS.containerd],
      etcd_sha256: ARTIFACT_SHA256.etcd[DEFAULT_VERSIONS.etcd],
    });
    const declared = [...readFileSync(path.join(PACKER, "manifest-variables.pkr.hcl"), "utf8").matchAll(/^variable "([a-z0-9_]+)"/gm)].map(
      (m) => m[1],
    );
    expect(declared.sort()).toEqual(Object.keys(vars).sort());
    expect(Object.keys(vars)).toEqual(expect.arrayContaining([...Object.values(MANIFEST_VARIABLES), ...Object.values(CHECKSUM_VARIABLES)]));
    for (const name of Object.values(CHECKSUM_VARIABLES)) expect(vars[name]).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the tags file holds one entry per imageTags() key, per variant", () => {
    const text = renderImageTagsHcl();
    for (const variant of ["node", "gpu"] as const) {
      const block = new RegExp(`${variant}_image_tags = \\{\\n([\\s\\S]*?)\\n  \\}`).exec(text)![1]!;
      const keys = [...block.matchAll(/^\s+"([^"]+)"\s+=/gm)].map((m) => m[1]);
      expect(keys).toEqual(Object.keys(imageTags(DEFAULT_VERSIONS, variant)).sort());
    }
    expect(text).toContain(`"pulumi-kubeadm-aws:os"          = "\${var.os_family}-\${var.os_release}"`);
  });

  test("images:vars is wired in package.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8"));
    expect(pkg.scripts["images:vars"]).toBe("tsx components/images/generate.ts");
  });
});

/** The manifest a config pinning `kubernetes` resolves to: that minor's kubeadm pins on top of the defaults. */
const pinned = (kubernetes: string): PlatformVersions => ({
  ...DEFAULT_VERSIONS,
  ...SUPPORTED_MINORS[minorOf(kubernetes)!]!.defaults,
  kubernetes,
  kubelet: kubernetes,
});

describe("the checksum table", () => {
  test(`its source is Kubespray's checksums.yml at ${CHECKSUM_SOURCE.commit.slice(0, 12)}, and the file's comment says so`, () => {
    expect(CHECKSUM_SOURCE).toEqual({
      repository: "kubernetes-sigs/kubespray",
      path: "roles/kubespray_defaults/vars/main/checksums.yml",
      commit: "46dbdd3994b32640bcd806b0097f50e8fdf1d514",
      date: "2026-08-21",
    });
    const source = readFileSync(path.join(REPO, "components", "versions", "artifacts.ts"), "utf8");
    for (const fact of Object.values(CHECKSUM_SOURCE)) expect(source).toContain(fact);
  });

  test("it holds exactly what a supported manifest reaches: the default manifest and each buildable minor's kubeadm pins", () => {
    expect(buildableKubernetesMinors()).toEqual(["1.35", "1.36"]);
    const manifests = [DEFAULT_VERSIONS, ...Object.keys(ARTIFACT_SHA256.kubeadm).map(pinned)];
    const reached: Record<string, Set<string>> = {};
    for (const v of manifests) {
      expect({ kubernetes: v.kubernetes, problems: imageBuildProblems(v) }).toEqual({ kubernetes: v.kubernetes, problems: [] });
      for (const [a, ver] of Object.entries(artifactVersions(v))) (reached[a] ??= new Set()).add(ver);
    }
    for (const a of Object.keys(ARTIFACT_SHA256) as Artifact[]) {
      expect({ a, versions: Object.keys(ARTIFACT_SHA256[a]).sort() }).toEqual({ a, versions: [...reached[a]!].sort() });
    }
    // Kubernetes 1.35's pins (kubeadm 1.35: etcd 3.6.6; its release's crictl 1.34.0) build.
    expect(artifactVersions(pinned("1.35.4"))).toMatchObject({ kubeadm: "1.35.4", kubelet: "1.35.4", etcd: "3.6.6", crictl: "1.34.0" });
  });

  test("Kubernetes 1.37 is a supported minor, but no image can be built for it: the problems say why and what to do", () => {
    const v = pinned("1.37.2");
    expect(v).toMatchObject({ etcd: "3.7.0", crictl: "1.36.0" });
    const problems = imageBuildProblems(v);
    expect(problems[0]).toBe(
      "versions.kubernetes: Kubernetes 1.37 is a supported minor, but no image can be built for it yet: the checksum table " +
        "(read from kubernetes-sigs/kubespray roles/kubespray_defaults/vars/main/checksums.yml at 46dbdd3994b32640bcd806b0097f50e8fdf1d514, 2026-08-21) " +
        "has no kubelet 1.37.x, kubeadm 1.37.x, kubectl 1.37.x, crictl 1.36.x, etcd 3.7.x release; " +
        "add their sha256 from the upstream release files to ARTIFACT_SHA256 (components/versions/artifacts.ts), or pin Kubernetes 1.35 or 1.36",
    );
    expect(problems.slice(1).map((p) => p.slice(0, p.indexOf(";")))).toEqual([
      "kubelet 1.37.2: no pinned sha256 (the table has no kubelet 1.37.x release at all)",
      "kubeadm 1.37.2: no pinned sha256 (the table has no kubeadm 1.37.x release at all)",
      "kubectl 1.37.2: no pinned sha256 (the table has no kubectl 1.37.x release at all)",
      "crictl 1.36.0: no pinned sha256 (the table has no crictl 1.36.x release at all)",
      "etcd 3.7.0: no pinned sha256 (the table has no etcd 3.7.x release at all)",
    ]);
    expect(() => renderPackerVarsJson(v)).toThrow(
      /^cannot build images for this manifest:\n {2}versions\.kubernetes: Kubernetes 1\.37 is a supported minor, but no image can be built for it yet/,
    );
    // 1.37 with etcd 3.6.8 (an etcd the table has) still cannot be built: the Kubernetes binaries are missing.
    expect(imageBuildProblems({ ...v, etcd: "3.6.8" })[0]).toMatch(
      /has no kubelet 1\.37\.x, kubeadm 1\.37\.x, kubectl 1\.37\.x, crictl 1\.36\.x release;/,
    );
  });

  test("a minor that checkVersions refuses gets its refusal, not the missing-checksum summary", () => {
    const problems = imageBuildProblems({ ...DEFAULT_VERSIONS, kubernetes: "1.34.6", kubelet: "1.34.6" });
    expect(problems[0]).toBe(
      "versions.kubernetes: minor 1.34 is no longer supported (end of life upstream, and kubeadm of a supported minor cannot deploy it); supported: 1.35, 1.36, 1.37",
    );
    expect(problems.filter((p) => p.includes("is a supported minor"))).toEqual([]);
  });
});

describe("build problems", () => {
  test("the default manifest can be built", () => {
    expect(imageBuildProblems(DEFAULT_VERSIONS)).toEqual([]);
    expect(Object.values(artifactChecksums(DEFAULT_VERSIONS)).every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
  });

  test("every problem is reported at once: skew, missing checksums, a bad driver branch", () => {
    const v: PlatformVersions = { ...DEFAULT_VERSIONS, kubelet: "1.37.0", etcd: "3.4.30", nvidiaDriver: "latest" };
    const problems = imageBuildProblems(v);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^versions\.kubelet: kubelet 1\.37\.0 is newer than the API server 1\.36\.3/),
        expect.stringMatching(/^versions\.etcd: etcd 3\.4\.30 is not supported by Kubernetes 1\.36; allowed etcd minors: 3\.5, 3\.6$/),
        expect.stringMatching(
          /^kubelet 1\.37\.0: no pinned sha256 \(the table has no kubelet 1\.37\.x release at all\); add the one published next to https:\/\/dl\.k8s\.io\/release\/v1\.37\.0\/bin\/linux\/amd64\/kubelet/,
        ),
        expect.stringMatching(/^etcd 3\.4\.30: no pinned sha256/),
        expect.stringMatching(/^versions\.nvidiaDriver: must be a driver branch number/),
      ]),
    );
    expect(problems).toHaveLength(5);
    expect(() => packerVariables(v)).toThrow(/cannot build images for this manifest/);
  });

  test("a patch the table lacks, in a minor it has, is named without the whole-minor note", () => {
    const problems = imageBuildProblems({ ...DEFAULT_VERSIONS, kubernetes: "1.36.2", kubelet: "1.36.2" });
    expect(problems).toEqual([
      "kubelet 1.36.2: no pinned sha256; add the one published next to https://dl.k8s.io/release/v1.36.2/bin/linux/amd64/kubelet to ARTIFACT_SHA256 (components/versions/artifacts.ts)",
      "kubeadm 1.36.2: no pinned sha256; add the one published next to https://dl.k8s.io/release/v1.36.2/bin/linux/amd64/kubeadm to ARTIFACT_SHA256 (components/versions/artifacts.ts)",
      "kubectl 1.36.2: no pinned sha256; add the one published next to https://dl.k8s.io/release/v1.36.2/bin/linux/amd64/kubectl to ARTIFACT_SHA256 (components/versions/artifacts.ts)",
    ]);
  });

  test("any version without a pinned checksum is refused (property)", () => {
    const fields = ["kubelet", "etcd", "containerd", "runc", "cniPlugins", "crictl"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat({ max: 99 }), (field, patch) => {
        const version = `9.${patch}.${patch}`;
        const problems = imageBuildProblems({ ...DEFAULT_VERSIONS, [field]: version });
        expect(problems.some((p) => p.startsWith(`${field} ${version}: no pinned sha256`))).toBe(true);
      }),
    );
  });
});
