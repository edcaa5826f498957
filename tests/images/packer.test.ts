/**
 * The Packer templates, checked by Debian's Packer 1.6.6: `packer fmt -check`, a full
 * `packer validate` of both images (no AWS credentials needed: 1.6.6 validates the amazon-ebs
 * configuration offline), and `packer console` evaluating the AMI tags Packer will write.
 */
import { readFileSync, readdirSync, rmSync } from "fs";
import * as path from "path";
import fc from "fast-check";
import { DEFAULT_VERSIONS, SUPPORTED_MINORS, imageTags, type PlatformVersions } from "../../components/versions/manifest";
import { MANIFEST_VARIABLES } from "../../components/images/packer";
import { BUILD_VARS, NEWER_THAN_1_6_6, PACKER, packerValidationCopy, removeDir, run } from "./tools";

const hcl = (f: string) => readFileSync(path.join(PACKER, f), "utf8");

describe("packer fmt and validate (Packer 1.6.6)", () => {
  test("every template is packer-fmt clean, including the plugins file", () => {
    const r = run("packer", ["fmt", "-check", "-diff", "."], { cwd: PACKER });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test.each(["node", "gpu"])("the %s image validates", (variant) => {
    const dir = packerValidationCopy();
    try {
      const r = run("packer", ["validate", `-only=amazon-ebs.${variant}`, ...BUILD_VARS, "."], { cwd: dir });
      expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: "" });
    } finally {
      removeDir(dir);
    }
  });

  test("validate is a real check: a missing provisioner script, an open SSH default or a bad checksum fails it", () => {
    const missing = packerValidationCopy((d) => rmSync(path.join(d, "scripts", "40-etcd.sh")));
    const noCidrs = packerValidationCopy();
    try {
      const r1 = run("packer", ["validate", ...BUILD_VARS, "."], { cwd: missing });
      expect(r1.status).not.toBe(0);
      expect(r1.stdout + r1.stderr).toContain("40-etcd.sh");
      const r2 = run("packer", ["validate", "-var", "region=eu-west-1", "."], { cwd: noCidrs });
      expect(r2.status).not.toBe(0);
      expect(r2.stdout + r2.stderr).toContain("ssh_source_cidrs");
      const r3 = run("packer", ["validate", ...BUILD_VARS, "-var", "etcd_sha256=abc", "."], { cwd: noCidrs });
      expect(r3.status).not.toBe(0);
      expect(r3.stdout + r3.stderr).toContain("etcd_sha256");
    } finally {
      removeDir(missing);
      removeDir(noCidrs);
    }
  });

  test("the 1.6.6 copy drops only the listed newer constructs, and they are what keeps IMDSv2 on", () => {
    expect(NEWER_THAN_1_6_6.map((c) => c.what)).toEqual([
      "metadata_options block (IMDSv2 on the build instance)",
      "imds_support (IMDSv2 default of the image)",
    ]);
    const src = hcl("sources.pkr.hcl");
    expect(src).toMatch(
      /metadata_options \{\n\s+http_endpoint\s+= "enabled"\n\s+http_tokens\s+= "required"\n\s+http_put_response_hop_limit = 1\n\s+\}/,
    );
  });
});

describe("what the templates build", () => {
  const all = readdirSync(PACKER)
    .filter((f) => f.endsWith(".pkr.hcl"))
    .map((f) => [f, hcl(f)] as const);

  test("the packer {} block (required_plugins) lives only in packer.pkr.hcl", () => {
    const withBlock = all.filter(([, t]) => /^packer \{/m.test(t)).map(([f]) => f);
    expect(withBlock).toEqual(["packer.pkr.hcl"]);
    expect(hcl("packer.pkr.hcl")).toMatch(/source\s+= "github.com\/hashicorp\/amazon"/);
  });

  test("images are private and encrypted; the seed is Canonical's, chosen by owner and name", () => {
    const text = all.map(([, t]) => t.replace(/^\s*#.*$/gm, "")).join("\n"); // code, not comments
    expect(text).not.toMatch(/\bami_(groups|users|org_arns|ou_arns)\b/);
    expect(text).not.toMatch(/snapshot_(groups|users)/);
    const src = hcl("sources.pkr.hcl");
    expect(src).toMatch(/\n {2}encrypt_boot = true\n/);
    expect(src).toMatch(/owners\s+= \["099720109477"\]/);
    expect(src).toMatch(/name\s+= local\.source_ami_name/);
    expect(src).toMatch(/temporary_security_group_source_cidrs = var\.ssh_source_cidrs/);
    // Every launch volume of both images is encrypted.
    const build = hcl("build.pkr.hcl");
    expect(build.match(/launch_block_device_mappings \{/g)).toHaveLength(2);
    expect(build.match(/encrypted\s+= true/g)).toHaveLength(2);
  });

  test("the Ubuntu seed name for each supported release", () => {
    const dir = packerValidationCopy();
    try {
      const seen: Record<string, string> = {};
      for (const release of ["24.04", "22.04"]) {
        const r = run("packer", ["console", ...BUILD_VARS, "-var", `os_release=${release}`, "."], {
          cwd: dir,
          input: "local.source_ami_name\n",
        });
        expect(r.status).toBe(0);
        seen[release] = r.stdout.trim();
      }
      expect(seen).toEqual({
        "24.04": "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
        "22.04": "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*",
      });
    } finally {
      removeDir(dir);
    }
  });
});

/** Evaluates the tags Packer writes on each image, for a manifest given as -var overrides. */
function packerTags(dir: string, v: PlatformVersions): { node: Record<string, string>; gpu: Record<string, string> } {
  const vars = [
    "-var",
    `os_family=${v.os.family}`,
    "-var",
    `os_release=${v.os.release}`,
    ...Object.entries(MANIFEST_VARIABLES).flatMap(([field, name]) => [
      "-var",
      `${name}=${String(v[field as keyof typeof MANIFEST_VARIABLES])}`,
    ]),
  ];
  const r = run("packer", ["console", ...BUILD_VARS, ...vars, "."], {
    cwd: dir,
    input: "jsonencode(local.node_image_tags)\njsonencode(local.gpu_image_tags)\n",
  });
  expect(r.stderr).toBe("");
  const [node, gpu] = r.stdout.trim().split("\n");
  return { node: JSON.parse(node!), gpu: JSON.parse(gpu!) };
}

describe("AMI tags: what Packer writes is what the lookup filters on", () => {
  test("for the default manifest", () => {
    const dir = packerValidationCopy();
    try {
      const tags = packerTags(dir, DEFAULT_VERSIONS);
      expect(tags.node).toEqual(imageTags(DEFAULT_VERSIONS, "node"));
      expect(tags.gpu).toEqual(imageTags(DEFAULT_VERSIONS, "gpu"));
      expect(tags.node["pulumi-kubeadm-aws:kubernetes"]).toBe("1.36.3");
      expect(tags.node["pulumi-kubeadm-aws:etcd"]).toBe("3.6.8");
    } finally {
      removeDir(dir);
    }
  });

  test("for any supported manifest (property, evaluated by packer console)", () => {
    const dir = packerValidationCopy();
    const manifest = fc
      .record({
        minor: fc.constantFrom(...Object.keys(SUPPORTED_MINORS)),
        patch: fc.nat({ max: 20 }),
        release: fc.constantFrom("24.04" as const, "22.04" as const),
        driver: fc.constantFrom("535", "550", "570", "580"),
      })
      .map(({ minor, patch, release, driver }): PlatformVersions => ({
        ...DEFAULT_VERSIONS,
        ...SUPPORTED_MINORS[minor]!.defaults,
        kubernetes: `${minor}.${patch}`,
        kubelet: `${minor}.${patch}`,
        os: { family: "ubuntu", release },
        nvidiaDriver: driver,
      }));
    try {
      fc.assert(
        fc.property(manifest, (v) => {
          const tags = packerTags(dir, v);
          expect(tags.node).toEqual(imageTags(v, "node"));
          expect(tags.gpu).toEqual(imageTags(v, "gpu"));
        }),
        { numRuns: 6 },
      );
    } finally {
      removeDir(dir);
    }
  });
});
