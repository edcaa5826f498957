/**
 * Running the node scripts (node/) on this machine: the env file they source is the library's own
 * rendering, with the paths a test needs appended (later lines win when bash sources the file), and
 * the shell helpers from the package's node/lib.
 */
import * as path from "path";
import { ENV_VALUE_PATTERN, renderEnvFile } from "../../components/bootstrap/env-file";
import { nodeDir } from "../../components/bootstrap/node-scripts";

/** The package's node/lib/lib.sh. */
export const NODE_LIB = path.join(nodeDir(), "lib", "lib.sh");

/** `rendered` plus override lines (the shell helpers from the package unless given). */
export function envWithOverrides(rendered: string, overrides: Record<string, string | undefined>): string {
  const entries = Object.entries({ KUBEADM_AWS_LIB: NODE_LIB, ...overrides })
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => (ENV_VALUE_PATTERN.test(v) ? ([k, v] as const) : ([k, v, "quoted"] as const)));
  return `${rendered}${rendered.endsWith("\n") ? "" : "\n"}# test overrides\n${renderEnvFile("test overrides", entries)}`;
}
