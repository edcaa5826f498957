/**
 * The provisioner scripts: shellcheck (real tool), wiring (every script is run, every run script
 * exists), download URLs equal to the manifest's artifacts, and the checksum check of lib.sh
 * executed for real against a stub `curl`.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from "fs";
import { createHash } from "crypto";
import { tmpdir } from "os";
import * as path from "path";
import { packerVariables } from "../../components/images/packer";
import { artifactUrl, artifactVersions, type Artifact } from "../../components/versions/artifacts";
import { DEFAULT_VERSIONS } from "../../components/versions/manifest";
import { PACKER, SCRIPTS, removeDir, run } from "./tools";

const scripts = readdirSync(SCRIPTS)
  .filter((f) => f.endsWith(".sh"))
  .sort();
const build = readFileSync(path.join(PACKER, "build.pkr.hcl"), "utf8");

/** The environment build.pkr.hcl gives the scripts, with the values of the default manifest. */
function scriptEnv(): Record<string, string> {
  const vars = Object.fromEntries(packerVariables(DEFAULT_VERSIONS).map(([n, v]) => [n, v]));
  const env: Record<string, string> = {};
  for (const m of build.matchAll(/"([A-Z0-9_]+)=\$\{var\.([a-z0-9_]+)\}"/g)) env[m[1]!] = vars[m[2]!]!;
  return env;
}

describe("provisioner scripts", () => {
  test("shellcheck -S warning passes on every script (with sourced files followed)", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(10);
    const r = run("shellcheck", ["-x", "-S", "warning", "--shell=bash", ...scripts], { cwd: SCRIPTS });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("shellcheck is a real check here: it flags an unquoted expansion", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pka-sc-"));
    try {
      writeFileSync(path.join(dir, "bad.sh"), "#!/usr/bin/env bash\nrm -rf $1/*\n");
      const r = run("shellcheck", ["-S", "warning", "bad.sh"], { cwd: dir });
      expect(r.status).not.toBe(0);
    } finally {
      removeDir(dir);
    }
  });

  test("every script is run by the build, and every script the build runs exists", () => {
    const referenced = [...build.matchAll(/\$\{path\.root\}\/scripts\/([a-z0-9-]+\.sh)/g)].map((m) => m[1]!);
    expect([...new Set(referenced)].sort()).toEqual(scripts);
    for (const s of referenced) expect(existsSync(path.join(SCRIPTS, s))).toBe(true);
    // The GPU script runs only in the GPU image.
    expect(build).toMatch(
      /only\s+= \["amazon-ebs\.gpu"\]\n\s+environment_vars = local\.script_env\n\s+execute_command\s+= local\.run_script\n\s+script\s+= "\$\{path\.root\}\/scripts\/60-nvidia\.sh"/,
    );
  });

  test("the scripts download exactly the manifest's artifacts, each checked against its own sha256 variable", () => {
    const env = scriptEnv();
    const fetched: { url: string; sum: string }[] = [];
    for (const s of scripts) {
      const text = readFileSync(path.join(SCRIPTS, s), "utf8").replace(/\\\n\s*/g, "");
      for (const m of text.matchAll(/^fetch "([^"]+)" "[^"]+" "\$\{([A-Z0-9_]+)\}"/gm)) {
        const url = m[1]!.replace(/\$\{([A-Z0-9_]+)\}/g, (_, k: string) => env[k] ?? `<unset ${k}>`);
        fetched.push({ url, sum: env[m[2]!] ?? `<unset ${m[2]}>` });
      }
    }
    const versions = artifactVersions(DEFAULT_VERSIONS);
    const sums = Object.fromEntries(packerVariables(DEFAULT_VERSIONS).map(([n, v]) => [n, v]));
    const expected = (Object.keys(versions) as Artifact[]).map((a) => ({
      url: artifactUrl(a, versions[a]),
      sum: sums[`${a.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_sha256`]!,
    }));
    const byUrl = (a: { url: string }, b: { url: string }) => a.url.localeCompare(b.url);
    expect(fetched.sort(byUrl)).toEqual(expected.sort(byUrl));
  });

  test("fetch keeps a file whose sha256 matches and refuses one that does not (lib.sh run by bash)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pka-fetch-"));
    try {
      // A stub curl that "downloads" fixed content to --output.
      const bin = path.join(dir, "bin");
      run("mkdir", ["-p", bin]);
      writeFileSync(
        path.join(bin, "curl"),
        '#!/usr/bin/env bash\nwhile [ $# -gt 0 ]; do if [ "$1" = --output ]; then printf payload > "$2"; fi; shift; done\n',
      );
      chmodSync(path.join(bin, "curl"), 0o755);
      const good = createHash("sha256").update("payload").digest("hex");
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PKA_WORK: path.join(dir, "work") };
      const lib = path.join(SCRIPTS, "lib.sh");
      const ok = run("bash", ["-c", `. "${lib}"; fetch https://example.invalid/f "${dir}/f" ${good} && cat "${dir}/f"`], { env });
      expect({ status: ok.status, out: ok.stdout.split("\n").pop() }).toEqual({ status: 0, out: "payload" });
      const bad = run("bash", ["-c", `. "${lib}"; fetch https://example.invalid/g "${dir}/g" ${"0".repeat(64)}`], { env });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toContain("sha256 mismatch for https://example.invalid/g");
      expect(existsSync(`${dir}/g`) || existsSync(`${dir}/g.part`)).toBe(false);
      const malformed = run("bash", ["-c", `. "${lib}"; fetch https://example.invalid/h "${dir}/h" ${good.toUpperCase()}`], { env });
      expect(malformed.status).not.toBe(0);
      expect(malformed.stderr).toContain("is not lowercase hex");
    } finally {
      removeDir(dir);
    }
  });

  test("the image installs and verifies etcd, etcdctl and etcdutl (etcd 3.6 restores only with etcdutl)", () => {
    const etcd = readFileSync(path.join(SCRIPTS, "40-etcd.sh"), "utf8");
    expect(etcd).toMatch(
      /^for bin in etcd etcdctl etcdutl; do\n {2}install -m 0755 "\$\{PKA_WORK\}\/etcd-v\$\{ETCD_VERSION\}-linux-amd64\/\$\{bin\}" "\/usr\/local\/bin\/\$\{bin\}"\ndone$/m,
    );
    const verify = readFileSync(path.join(SCRIPTS, "90-verify.sh"), "utf8");
    for (const [bin, args] of [
      ["etcd", "--version"],
      ["etcdctl", "version"],
      ["etcdutl", "version"],
    ]) {
      expect(verify).toContain(`"$(${bin} ${args})"`);
    }
    expect(verify).toContain('expect etcdutl "etcdutl version: ${ETCD_VERSION}" "$(etcdutl version)"');
  });

  test("kubelet is installed disabled, and the image pins and pre-pulls the manifest's control-plane images", () => {
    const k8s = readFileSync(path.join(SCRIPTS, "30-kubernetes.sh"), "utf8");
    expect(k8s).toMatch(/^systemctl disable kubelet\.service$/m);
    expect(k8s).not.toMatch(/systemctl (enable|start)[^\n]*kubelet/);
    const pull = readFileSync(path.join(SCRIPTS, "70-prepull.sh"), "utf8");
    expect(pull).toContain("apiVersion: kubeadm.k8s.io/v1beta4");
    expect(pull).toContain("kubernetesVersion: v${KUBERNETES_VERSION}");
    expect(pull).toContain("kubeadm config images pull --config");
    const nvidia = readFileSync(path.join(SCRIPTS, "60-nvidia.sh"), "utf8");
    expect(nvidia).toContain("nvidia-ctk runtime configure --runtime=containerd --config=/etc/containerd/config.toml --set-as-default");
  });
});
