/** The generated Packer files are the render of DEFAULT_VERSIONS, and the renderers refuse what cannot be built. */
import { readFileSync } from "fs";
import * as path from "path";
import fc from "fast-check";
import { packerGeneratedFiles, packerVariables, renderImageTagsHcl, renderPackerVarsJson, MANIFEST_VARIABLES, CHECKSUM_VARIABLES } from "../../components/images/packer";
import { stalePackerFiles } from "../../components/images/generate";
import { ARTIFACT_SHA256, IMAGE_TOOLS, artifactChecksums, imageBuildProblems } from "../../components/versions/artifacts";
import { DEFAULT_VERSIONS, imageTags, type PlatformVersions } from "../../components/versions/manifest";
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
    const declared = [...readFileSync(path.join(PACKER, "manifest-variables.pkr.hcl"), "utf8").matchAll(/^variable "([a-z0-9_]+)"/gm)].map((m) => m[1]);
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

describe("build problems", () => {
  test("the default manifest can be built", () => {
    expect(imageBuildProblems(DEFAULT_VERSIONS)).toEqual([]);
    expect(Object.values(artifactChecksums(DEFAULT_VERSIONS)).every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
  });

  test("every problem is reported at once: skew, missing checksums, a bad driver branch", () => {
    const v: PlatformVersions = { ...DEFAULT_VERSIONS, kubelet: "1.34.0", etcd: "3.4.30", nvidiaDriver: "latest" };
    const problems = imageBuildProblems(v);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^versions\.kubelet: kubelet 1\.34\.0 is newer than the API server/),
      expect.stringMatching(/^versions\.etcd: etcd 3\.4\.30 is not supported/),
      expect.stringMatching(/^kubelet 1\.34\.0: no pinned sha256; add the one published next to https:\/\/dl\.k8s\.io\/release\/v1\.34\.0\/bin\/linux\/amd64\/kubelet/),
      expect.stringMatching(/^etcd 3\.4\.30: no pinned sha256/),
      expect.stringMatching(/^versions\.nvidiaDriver: must be a driver branch number/),
    ]));
    expect(problems).toHaveLength(5);
    expect(() => packerVariables(v)).toThrow(/cannot build images for this manifest/);
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
