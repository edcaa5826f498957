/**
 * The user's own files and units on a role (bootstrap/extensions.ts): they reach the node through its
 * bundle (never the user data), the unpacker is allowed to write exactly them, the boot enables the
 * units once the node bootstrapped, and bad extensions are refused with every problem named.
 */
import * as path from "path";
import {
  clusterExtensionProblems,
  FILES,
  parseEnvFile,
  placeholders,
  poolExtension,
  renderBundle,
  renderCloudConfig,
  renderWorkerFiles,
  type RoleExtension,
} from "../../components/bootstrap";
import { Cluster } from "../../components/cluster";
import { NODE_SCRIPTS, nodeDir } from "../../components/bootstrap";
import { inputs, ofType, recordProgram } from "../helpers/record";
import { stackSpec, testEnvironment } from "../cluster/fixtures";
import { FAKE_MATERIAL } from "./stack-roles";
import { runTool, writeTree } from "./tools";
import { readFileSync, statSync } from "fs";
import { parse } from "yaml";

const EXPORTER =
  "[Unit]\nDescription=node exporter\n\n[Service]\nExecStart=/usr/local/bin/node_exporter\n\n[Install]\nWantedBy=multi-user.target\n";
const EXT: RoleExtension = {
  files: [{ path: "/etc/containerd/certs.d/registry.example/hosts.toml", content: 'server = "https://registry.example"\n' }],
  units: [
    { name: "node-exporter.service", content: EXPORTER },
    { name: "cleanup.service", content: "[Service]\nExecStart=/bin/true\n", enable: false },
  ],
};

const worker = (ext?: RoleExtension) =>
  renderWorkerFiles(
    {
      role: "worker-general",
      region: "eu-west-1",
      clusterName: "t",
      apiName: "api.t.example.internal",
      ...(ext ? { extension: ext } : {}),
    },
    { discoveryHash: FAKE_MATERIAL.discoveryHash },
    placeholders(["bootstrapToken"]),
  );

describe("a role's extension", () => {
  const files = worker(EXT);
  const userData = renderCloudConfig("worker-general", files);
  const bundle = JSON.parse(renderBundle("worker-general", files)) as { files: { path: string; permissions: string; content: string }[] };

  test("its files and units travel in the bundle, not in the user data", () => {
    const added = [
      "/etc/containerd/certs.d/registry.example/hosts.toml",
      "/etc/systemd/system/node-exporter.service",
      "/etc/systemd/system/cleanup.service",
    ];
    const written = (parse(userData) as { write_files: { path: string }[] }).write_files.map((f) => f.path);
    for (const p of added) {
      expect(bundle.files.map((f) => f.path)).toContain(p);
      expect(written).not.toContain(p);
    }
    expect(userData).not.toContain("node_exporter");
    expect(bundle.files.find((f) => f.path.endsWith("node-exporter.service"))!.content).toBe(EXPORTER);
  });

  test("the boot enables the units marked to be enabled, after the library's", () => {
    const env = parseEnvFile(files.find((f) => f.path === FILES.env)!.content);
    expect(env.KUBEADM_AWS_ENABLE_UNITS).toBe("node-exporter.service");
    expect(worker().find((f) => f.path === FILES.env)!.content).not.toContain("ENABLE_UNITS");
  });

  test("the real unpacker writes exactly the extension's paths, and still refuses their neighbours", () => {
    const allow = files.find((f) => f.path === FILES.bundlePaths)!.content;
    const unpacker = path.join(nodeDir(), NODE_SCRIPTS.unpack.source);
    const dir = writeTree([
      { path: "allow", content: allow },
      { path: "ok.json", content: renderBundle("worker-general", files) },
      {
        path: "evil.json",
        content: JSON.stringify({
          format: "kubeadm-aws-bundle/v1",
          role: "x",
          files: [{ path: "/etc/containerd/config.toml", permissions: "0644", content: "x" }],
        }),
      },
    ]);
    const env = { ...process.env, KUBEADM_AWS_ROOT: path.join(dir, "root") };
    const ok = runTool("python3", [unpacker, "kubeadm-aws-bundle/v1", path.join(dir, "allow"), path.join(dir, "ok.json")], { env });
    expect(ok.stderr).toBe("");
    const hosts = path.join(dir, "root/etc/containerd/certs.d/registry.example/hosts.toml");
    expect(readFileSync(hosts, "utf8")).toBe(EXT.files![0]!.content);
    expect(statSync(hosts).mode & 0o777).toBe(0o644);
    const evil = runTool("python3", [unpacker, "kubeadm-aws-bundle/v1", path.join(dir, "allow"), path.join(dir, "evil.json")], { env });
    expect(evil.status).not.toBe(0);
    expect(evil.stderr).toContain("refusing path /etc/containerd/config.toml");
  });

  test("every problem is named with its path, at once", () => {
    const problems = clusterExtensionProblems(
      {
        controlPlane: {
          files: [
            { path: "/etc/kubernetes/pki/ca.key", content: "x" },
            { path: "relative/file", content: "x" },
          ],
        },
        workers: {
          units: [
            { name: "kubeadm-aws-bootstrap.service", content: "[Unit]\n" },
            { name: "no-suffix", content: "[Unit]\n" },
          ],
        },
        pools: { gpu: { files: [{ path: "/etc/systemd/system/x.service", content: "x", permissions: "777x" }] }, nosuch: {} },
      },
      ["general", "gpu"],
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^extensions\.controlPlane\.files\[0\]\.path: .*under a folder the library writes/),
        expect.stringMatching(/^extensions\.controlPlane\.files\[1\]\.path: .*absolute/),
        expect.stringMatching(/^extensions\.workers\.units\[0\]\.name: .*a name the library uses/),
        expect.stringMatching(/^extensions\.workers\.units\[1\]\.name: .*must be a unit file name/),
        expect.stringMatching(/^extensions\.pools\.gpu\.files\[0\]\.path: .*add systemd units as units/),
        expect.stringMatching(/^extensions\.pools\.gpu\.files\[0\]\.permissions: .*octal mode/),
        expect.stringMatching(/^extensions\.pools\.nosuch: no node pool is named nosuch \(pools: general, gpu\)/),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  test("a pool's own extension adds to the workers' one", () => {
    const merged = poolExtension(
      {
        workers: { units: [{ name: "a.service", content: "[Unit]\n" }] },
        pools: { gpu: { units: [{ name: "b.service", content: "[Unit]\n" }] } },
      },
      "gpu",
    )!;
    expect(merged.units!.map((u) => u.name)).toEqual(["a.service", "b.service"]);
    expect(poolExtension(undefined, "gpu")).toBeUndefined();
  });
});

describe("extensions through a Cluster", () => {
  const spec = stackSpec("dev");
  const environment = testEnvironment(spec);
  const pool = spec.nodePools[0]!.name;

  test("control plane and pool get their own; nothing else does", async () => {
    const rec = await recordProgram(
      () => {
        new Cluster(spec.name, {
          spec,
          environment,
          extensions: { controlPlane: { units: [{ name: "audit-ship.service", content: EXPORTER }] }, pools: { [pool]: EXT } },
        });
      },
      { region: spec.region, availabilityZones: spec.availabilityZones },
    );
    expect(rec.errors).toEqual([]);
    const artifacts = (role: string) => rec.artifacts.get(role)!.map((f) => f.path);
    expect(artifacts("control-plane-0")).toContain("etc/systemd/system/audit-ship.service");
    expect(artifacts("control-plane-0")).not.toContain("etc/systemd/system/node-exporter.service");
    expect(artifacts(`worker-${pool}`)).toContain("etc/systemd/system/node-exporter.service");
    expect(artifacts(`worker-${pool}`)).not.toContain("etc/systemd/system/audit-ship.service");
    const bundles = ofType(rec, "aws:secretsmanager/secretVersion:SecretVersion").map((v) => String(inputs(v).secretString ?? ""));
    expect(bundles.length).toBeGreaterThan(0);
  });

  test("dedicated etcd members get the etcd extension, through their bundle", async () => {
    const prod = stackSpec("prod");
    expect(prod.etcd.topology).toBe("dedicated");
    const env = testEnvironment(prod);
    const rec = await recordProgram(
      () => {
        new Cluster(prod.name, {
          spec: prod,
          environment: env,
          extensions: { etcd: { units: [{ name: "node-exporter.service", content: EXPORTER }] } },
        });
      },
      { region: prod.region, availabilityZones: prod.availabilityZones },
    );
    expect(rec.errors).toEqual([]);
    for (let n = 0; n < prod.etcd.members; n++) {
      const files = rec.artifacts.get(`etcd-${n}`)!;
      expect(files.map((f) => f.path)).toContain("etc/systemd/system/node-exporter.service");
      const env = parseEnvFile(files.find((f) => f.path === "etc/kubeadm-aws/bootstrap.env")!.content);
      expect(env.KUBEADM_AWS_ENABLE_UNITS!.split(",")).toEqual(["etcd-backup.timer", "node-exporter.service"]);
    }
    expect(rec.artifacts.get("control-plane-0")!.map((f) => f.path)).not.toContain("etc/systemd/system/node-exporter.service");
  });

  test("a bad extension fails the Cluster before any resource, naming the path", async () => {
    const rec = await recordProgram(
      () => {
        new Cluster(spec.name, { spec, environment, extensions: { pools: { nosuch: EXT } } });
      },
      { region: spec.region, availabilityZones: spec.availabilityZones },
    );
    expect(rec.errors.join()).toMatch(/extensions\.pools\.nosuch: no node pool is named nosuch/);
    expect(ofType(rec, "aws:ec2/instance:Instance")).toEqual([]);
  });
});
