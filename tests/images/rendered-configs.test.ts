/**
 * The configuration files the scripts write, rendered by bash itself from the scripts' heredocs with
 * the default manifest's environment, then parsed by real parsers: the kubeadm image-pull config by
 * yamllint, containerd's config.toml by Python's tomllib.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { packerVariables } from "../../components/images/packer";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { FILES } from "../../components/bootstrap";
import { PACKER_KERNEL_FILES } from "../../components/images/packer";
import { stackSpecs } from "../bootstrap/stack-roles";
import { assertSucceeded, kubeadmDocuments, runKubeadm } from "../helpers/kubeadm";
import { PACKER, SCRIPTS, removeDir, run } from "./tools";

/** The heredoc of `script` that writes to `target` (the part between `>target <<TAG` and `TAG`). */
function heredoc(script: string, target: string): { body: string; quoted: boolean } {
  const text = readFileSync(path.join(SCRIPTS, script), "utf8");
  const at = text.indexOf(`>${target} <<`);
  if (at < 0) throw new Error(`${script} writes no heredoc to ${target}`);
  const m = /<<('?)([A-Z]+)\1\n/.exec(text.slice(at))!;
  const start = at + m.index + m[0].length;
  const end = text.indexOf(`\n${m[2]}\n`, start);
  return { body: text.slice(start, end + 1), quoted: m[1] === "'" };
}

/** Expands a heredoc body with bash, in the environment build.pkr.hcl gives the scripts. */
function expand(body: string): string {
  const build = readFileSync(path.join(PACKER, "build.pkr.hcl"), "utf8");
  const vars = Object.fromEntries(packerVariables(DEFAULT_VERSIONS).map(([n, v]) => [n, v]));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PKA_WORK: "/var/tmp/pka/work" };
  for (const m of build.matchAll(/"([A-Z0-9_]+)=\$\{var\.([a-z0-9_]+)\}"/g)) env[m[1]!] = vars[m[2]!];
  const r = run("bash", ["-c", `set -u; cat <<EOF_RENDER\n${body}EOF_RENDER\n`], { env });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe("configs written by the provisioner scripts", () => {
  test("the kubeadm image-pull config is valid YAML naming the manifest's versions (yamllint)", () => {
    const { body, quoted } = heredoc("70-prepull.sh", '"${PKA_WORK}/kubeadm-images.yaml"');
    expect(quoted).toBe(false);
    const yamlText = expand(body);
    const dir = mkdtempSync(path.join(tmpdir(), "pka-yaml-"));
    try {
      writeFileSync(path.join(dir, "kubeadm.yaml"), yamlText);
      const r = run("yamllint", ["-d", "{extends: default, rules: {document-start: disable}}", "kubeadm.yaml"], { cwd: dir });
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    } finally {
      removeDir(dir);
    }
    const docs = parseAllDocuments(yamlText).map((d) => d.toJS());
    expect(docs).toEqual([
      {
        apiVersion: "kubeadm.k8s.io/v1beta4",
        kind: "InitConfiguration",
        nodeRegistration: { criSocket: "unix:///run/containerd/containerd.sock" },
      },
      {
        apiVersion: "kubeadm.k8s.io/v1beta4",
        kind: "ClusterConfiguration",
        kubernetesVersion: `v${DEFAULT_VERSIONS.kubernetes}`,
        imageRepository: "registry.k8s.io",
        etcd: { local: { imageTag: `${DEFAULT_VERSIONS.etcd}-0` } },
        dns: { imageTag: `v${DEFAULT_VERSIONS.coredns}` },
      },
    ]);
  });

  test("containerd's config.toml parses (tomllib) with systemd cgroups and the manifest's pause pinned", () => {
    const { body } = heredoc("20-containerd.sh", "/etc/containerd/config.toml");
    const toml = expand(body);
    const r = run("python3", ["-c", "import json,sys,tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))"], { input: toml });
    expect(r.stderr).toBe("");
    const cfg = JSON.parse(r.stdout);
    expect(cfg.version).toBe(3);
    expect(cfg.plugins["io.containerd.cri.v1.images"].pinned_images.sandbox).toBe(`registry.k8s.io/pause:${DEFAULT_VERSIONS.pause}`);
    const runtime = cfg.plugins["io.containerd.cri.v1.runtime"].containerd;
    expect(runtime.default_runtime_name).toBe("runc");
    expect(runtime.runtimes.runc).toEqual({
      runtime_type: "io.containerd.runc.v2",
      options: { BinaryName: "/usr/local/sbin/runc", SystemdCgroup: true },
    });
  });
});

describe("the image and the boot agree (one source each)", () => {
  /** The real kubeadm's `config images list` for a config file's text. */
  async function imagesOf(yamlText: string): Promise<string[]> {
    const dir = mkdtempSync(path.join(tmpdir(), "pka-images-"));
    try {
      writeFileSync(path.join(dir, "kubeadm.yaml"), yamlText);
      const r = await runKubeadm(["config", "images", "list", "--config", path.join(dir, "kubeadm.yaml")]);
      assertSucceeded(r);
      return r.stdout.trim().split("\n").sort();
    } finally {
      removeDir(dir);
    }
  }

  test("the image pre-pulls exactly the images the rendered init.yaml of a stacked-etcd cluster runs (the built kubeadm lists both)", async () => {
    const prepull = await imagesOf(expand(heredoc("70-prepull.sh", '"${PKA_WORK}/kubeadm-images.yaml"').body));
    const dev = stackSpecs().find((x) => x.stack === "dev")!.spec;
    const init = kubeadmDocuments(dev).find((d) => d.kind === "init")!;
    const booted = await imagesOf(init.yaml);
    expect(booted.length).toBeGreaterThan(5);
    expect({ prepull }).toEqual({ prepull: booted });
    // and it is a real comparison: another etcd tag in the pre-pull config gives another list
    const other = await imagesOf(
      expand(heredoc("70-prepull.sh", '"${PKA_WORK}/kubeadm-images.yaml"').body).replace(/imageTag: (\S+)-0/, "imageTag: $1-1"),
    );
    expect(other).not.toEqual(booted);
  });

  test("the image installs the generated kernel files where the boot's bundle writes them again", () => {
    const kernel = readFileSync(path.join(SCRIPTS, "10-kernel.sh"), "utf8");
    const name = (f: string) => path.basename(f);
    expect(kernel).toContain(`install -m 0644 "\${here}/${name(PACKER_KERNEL_FILES.modules)}" ${FILES.k8sModules}\n`);
    expect(kernel).toContain(`install -m 0644 "\${here}/${name(PACKER_KERNEL_FILES.sysctl)}" ${FILES.k8sSysctl}\n`);
    const build = readFileSync(path.join(PACKER, "build.pkr.hcl"), "utf8");
    for (const f of Object.values(PACKER_KERNEL_FILES)) {
      expect(build).toContain(`source      = "\${path.root}/${f}"\n    destination = "/var/tmp/pka/${name(f)}"`);
    }
  });
});
