/**
 * A real control plane from a stack's rendered configuration (tests/real-k8s): the stack program
 * runs under mocks that mint real certificates, control-plane-0's boot files (user data + bundle,
 * real values) are written into a machine, a stand-in for the kubelet runs the static Pods kubeadm
 * writes, and the real `kubeadm init` runs the config the node would run. Workers join with the
 * real `kubeadm join` and a real kubelet.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { k8sBinDir } from "../helpers/k8s-bin";
import { realTlsMocks } from "../helpers/real-tls";
import { FILES } from "../../components/bootstrap/paths";
import { runPlan, REPO_ROOT, type PlanOptions } from "../../tools/plan/run";
import type { RecordedResource } from "../../tools/plan/recorder";
import { Machine, MACHINE_DIRS, Vpc } from "./machines";
import { fileOf, roleFiles, type NodeFile } from "./role-files";

/**
 * Preflight checks a machine without a container runtime or systemd must ignore (everything else,
 * ports, ip_forward, certificates, runs as on a node). `SystemVerification` fails on this host's
 * cgroup v1 only; EC2 nodes run cgroup v2.
 */
export const NO_RUNTIME_PREFLIGHT = [
  "CRI",
  "ContainerRuntimeVersion",
  "ImagePull",
  "KubeletVersion",
  "SystemVerification",
  "FileExisting-crictl",
  "Service-kubelet",
];

/**
 * Phases that need a registered Node, i.e. a kubelet with a container runtime: marking the node as
 * control plane (labels and taint on the Node object) and the kubelet's certificate-rotation switch.
 */
export const NEEDS_A_NODE = ["mark-control-plane", "kubelet-finalize"];

export interface Planned {
  resources: RecordedResource[];
  apiName: string;
  adminKubeconfig: string;
  files(role: string): NodeFile[];
}

/** Plans a stack (or a config file) with real certificates. */
export async function planWithRealCerts(o: PlanOptions): Promise<Planned> {
  const plan = await runPlan({ ...o, mocks: realTlsMocks });
  if (!plan.ok) throw new Error(`plan failed: ${[...plan.issues.map((i) => `${i.path}: ${i.message}`), ...plan.errors].join("\n")}`);
  const pki = plan.resources.find((r) => r.type === "pulumi-kubeadm-aws:pki:ClusterPki");
  const cp0 = roleFiles(plan.resources, "control-plane-0");
  const apiName = /KUBEADM_AWS_API_ENDPOINT=([^:\n]+):/.exec(fileOf(cp0, FILES.env))![1]!;
  return {
    resources: plan.resources,
    apiName,
    adminKubeconfig: String(pki!.rawOutputs!.adminKubeconfig),
    files: (role) => roleFiles(plan.resources, role),
  };
}

/** Writes a role's files that live in machine folders (units and sysctl files are systemd's, not needed here). */
export function install(m: Machine, files: NodeFile[]): void {
  for (const f of files) if (MACHINE_DIRS.some((d) => f.path.startsWith(`${d}/`))) m.write(f.path, f.content, parseInt(f.permissions, 8));
}

export const RUNNER = path.join(__dirname, "static-pod-runner.js");

/** PATH inside machines: the built binaries first. */
export function machinePath(): string {
  return `/usr/local/sbin:${k8sBinDir()}:${process.env.PATH}`;
}

/** Starts the kubelet stand-in and runs `kubeadm init` with the node's init config, as the boot does. */
export async function kubeadmInit(m: Machine): Promise<{ status: number; output: string }> {
  m.start("static-pods", process.execPath, [RUNNER, "/etc/kubernetes/manifests", k8sBinDir(), "/var/log/kubernetes/pods"]);
  const r = await m.runAsync(
    "kubeadm",
    [
      "init",
      "--config",
      FILES.initConfig,
      "--skip-token-print",
      "--skip-certificate-key-print",
      `--skip-phases=${NEEDS_A_NODE.join(",")}`,
      `--ignore-preflight-errors=${NO_RUNTIME_PREFLIGHT.join(",")}`,
    ],
    { env: { PATH: machinePath() }, timeout: 300_000 },
  );
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** The kubeadm drop-in the image installs for the kubelet (packer/scripts/30-kubernetes.sh): its one source. */
export function kubeletDropIn(): string {
  const script = readFileSync(path.join(REPO_ROOT, "packer", "scripts", "30-kubernetes.sh"), "utf8");
  const m = /10-kubeadm\.conf <<'UNIT'\n([\s\S]*?)\nUNIT/.exec(script);
  if (!m) throw new Error("packer/scripts/30-kubernetes.sh no longer writes the kubelet's 10-kubeadm.conf drop-in");
  return m[1]!;
}

/**
 * A `systemctl` for a worker machine (no systemd runs here): `start`/`restart kubelet` starts the real
 * kubelet with the command line of the image's drop-in (its Environment and EnvironmentFile lines,
 * then ExecStart), everything else succeeds. The kubelet's log goes to /var/log/kubernetes/kubelet.log.
 */
export function fakeSystemctl(kubeletBin: string, extraKubeletArgs: string[]): string {
  const dropIn = kubeletDropIn();
  const envs = [...dropIn.matchAll(/^Environment="([A-Z_]+)=(.*)"$/gm)].map((m) => `${m[1]}=${JSON.stringify(m[2])}`);
  const envFiles = [...dropIn.matchAll(/^EnvironmentFile=-?(.+)$/gm)].map((m) => m[1]!);
  const exec = [...dropIn.matchAll(/^ExecStart=(.+)$/gm)].map((m) => m[1]!).pop()!;
  return `#!/bin/bash
# Test stand-in for systemctl: runs the kubelet as the image's unit + kubeadm drop-in would.
case "$1 \${2:-}" in
  "start kubelet"|"restart kubelet"|"start kubelet.service"|"restart kubelet.service")
    # Only this machine's kubelet (no PID namespace here: a pattern would match other machines').
    [ -f /var/lib/kubelet/test-kubelet.pid ] && kill "$(cat /var/lib/kubelet/test-kubelet.pid)" 2>/dev/null || true
    ${envs.join("\n    ")}
    ${envFiles.map((f) => `[ -f ${f} ] && . ${f}`).join("\n    ")}
    # shellcheck disable=SC2086
    nohup ${exec.replace(/^\S+/, kubeletBin)} ${extraKubeletArgs.join(" ")} >>/var/log/kubernetes/kubelet.log 2>&1 &
    echo $! >/var/lib/kubelet/test-kubelet.pid
    ;;
esac
exit 0
`;
}

export { Machine, Vpc };
