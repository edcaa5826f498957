/**
 * Every boot file of every role of every stack in stacks/, checked by the real tools:
 * cloud-init schema (user data), shellcheck -S warning (scripts), yamllint --strict (YAML),
 * python3 (the unpacker compiles), systemd-analyze verify (units).
 */
import * as path from "path";
import { artifactFiles, USER_DATA_LIMIT_BYTES } from "../../components/bootstrap";
import { renderRoles, stackSpecs } from "./stack-roles";
import { runTool, writeTree, YAMLLINT_CONFIG } from "./tools";

const cases = stackSpecs().flatMap(({ stack, spec }) => renderRoles(spec).map(({ role, files }) => ({ stack, role, files })));

describe("real validators over every role of every stack", () => {
  test("the stacks give the roles the issue names", () => {
    const names = cases.map((c) => `${c.stack}/${c.role}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "dev/control-plane-0",
        "dev/worker-general",
        "staging/control-plane-0",
        "staging/control-plane-1",
        "staging/control-plane-2",
        "staging/worker-ingress",
        "prod/control-plane-2",
        "prod/worker-gpu",
        "prod/worker-compute",
      ]),
    );
    expect(names).not.toContain("dev/control-plane-1");
  });

  describe.each(cases)("$stack $role", ({ role, files }) => {
    const artifacts = artifactFiles(role, files);
    const dir = writeTree(artifacts.map((f) => ({ ...f, mode: f.path.includes("sbin/") || f.path.endsWith(".py") ? 0o755 : 0o644 })));
    const at = (p: string) => path.join(dir, p);

    test("cloud-init schema accepts the user data, which fits EC2's limit", () => {
      const r = runTool("cloud-init", ["schema", "-c", at("cloud-init.yaml")]);
      expect(`${r.stdout}${r.stderr}`).toContain("Valid cloud-config");
      expect(r.status).toBe(0);
      expect(Buffer.byteLength(artifacts[0]!.content)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    });

    test("shellcheck -S warning passes every shell script", () => {
      const scripts = artifacts.filter((f) => f.content.startsWith("#!/bin/bash"));
      expect(scripts.length).toBeGreaterThanOrEqual(2);
      const r = runTool("shellcheck", ["-S", "warning", ...scripts.map((f) => at(f.path))]);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    });

    test("yamllint --strict passes every YAML file", () => {
      const yamls = artifacts.filter((f) => f.path.endsWith(".yaml"));
      expect(yamls.length).toBeGreaterThanOrEqual(2);
      const r = runTool("yamllint", ["--strict", "-f", "parsable", "-c", YAMLLINT_CONFIG, ...yamls.map((f) => at(f.path))]);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    });

    test("the unpacker compiles with python3", () => {
      const r = runTool("python3", ["-m", "py_compile", at("usr/local/lib/kubeadm-aws/unpack.py")]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    });

    test("systemd-analyze verify finds no unknown section or key in the units", () => {
      const units = artifacts.filter((f) => f.path.startsWith("etc/systemd/system/"));
      const r = runTool("systemd-analyze", ["verify", "--man=no", ...units.map((f) => at(f.path))]);
      // The only complaints allowed: the executables are not installed on this test machine, and
      // systemd's own targets are missing in a container.
      const problems = r.stderr
        .split("\n")
        .filter(
          (l) =>
            l.trim() !== "" &&
            !/is not executable: No such file or directory|Unit (sysinit|basic|shutdown)\.target not found|Failed to create .*: Unit .*\.target not found/.test(
              l,
            ),
        );
      expect(problems).toEqual([]);
    });
  });
});

describe("the validators do catch mistakes (so a pass means something)", () => {
  test("cloud-init schema rejects a misspelled module key", () => {
    const dir = writeTree([
      { path: "bad.yaml", content: "#cloud-config\nwrite_files:\n  - path: /x\n    permisions: '0644'\n    content: x\n" },
    ]);
    const r = runTool("cloud-init", ["schema", "-c", path.join(dir, "bad.yaml")]);
    expect(r.status).not.toBe(0);
  });

  test("yamllint --strict rejects a YAML 1.1 truthy word", () => {
    const dir = writeTree([{ path: "bad.yaml", content: "enabled: yes\n" }]);
    expect(runTool("yamllint", ["--strict", "-c", YAMLLINT_CONFIG, path.join(dir, "bad.yaml")]).status).not.toBe(0);
  });

  test("systemd-analyze reports an unknown key", () => {
    const dir = writeTree([{ path: "bad.service", content: "[Unit]\nDescriptio=x\n[Service]\nType=oneshot\nExecStart=/bin/true\n" }]);
    expect(runTool("systemd-analyze", ["verify", "--man=no", path.join(dir, "bad.service")]).stderr).toMatch(/Unknown key 'Descriptio'/);
  });
});
