/**
 * The real Kubernetes and etcd binaries of the manifest's versions (tools/k8s/build.ts). The test
 * command builds them first and exports PKA_K8S_BIN; a bare `npx jest` builds or reuses them here.
 * A missing binary fails the test that needs it: nothing skips.
 */
import * as fs from "fs";
import * as path from "path";
import { ensureBinaries } from "../../tools/k8s/build";

let cached: string | undefined;

/** The folder holding kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, etcd, etcdctl, etcdutl. */
export function k8sBinDir(): string {
  if (cached) return cached;
  const fromEnv = process.env.PKA_K8S_BIN;
  cached = fromEnv && fs.existsSync(path.join(fromEnv, "kubeadm")) ? fromEnv : ensureBinaries({ log: () => undefined });
  return cached;
}

/** The path of one built binary. */
export function k8sBin(
  name:
    "kubeadm" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kubectl" | "kubelet" | "etcd" | "etcdctl" | "etcdutl",
): string {
  return path.join(k8sBinDir(), name);
}
