/**
 * Running the node scripts (node/) on this machine: the env file they source is the library's own
 * rendering, with the paths a test needs appended (later lines win when bash sources the file), and
 * the helpers (shell, python) from the package's node/lib.
 */
import * as path from "path";
import { ENV_VALUE_PATTERN, renderEnvFile } from "../../components/bootstrap/env-file";
import { NODE_SCRIPTS, nodeDir } from "../../components/bootstrap/node-scripts";

/** The package's node/lib/lib.sh. */
export const NODE_LIB = path.join(nodeDir(), "lib", "lib.sh");

/** The package's node/lib/cert-expiry.py (the certificate renewal's lister). */
export const NODE_CERT_EXPIRY = path.join(nodeDir(), NODE_SCRIPTS.certExpiry.source);

/** `rendered` plus override lines (the helpers in node/lib from the package unless given). */
export function envWithOverrides(rendered: string, overrides: Record<string, string | undefined>): string {
  const entries = Object.entries({ KUBEADM_AWS_LIB: NODE_LIB, KUBEADM_AWS_CERT_EXPIRY: NODE_CERT_EXPIRY, ...overrides })
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => (ENV_VALUE_PATTERN.test(v) ? ([k, v] as const) : ([k, v, "quoted"] as const)));
  return `${rendered}${rendered.endsWith("\n") ? "" : "\n"}# test overrides\n${renderEnvFile("test overrides", entries)}`;
}
