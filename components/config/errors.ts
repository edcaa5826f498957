/** Config problems: each names the config path and says what is allowed. */

export interface ConfigIssue {
  /** Config path, e.g. `cluster.nodePools[2].maxSize`. */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
}

/** Thrown when config is invalid; carries every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(public readonly issues: ConfigIssue[]) {
    super(
      `invalid cluster configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  - ${formatIssue(i)}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.path}: ${i.message}`;
}

/** `cluster.nodePools[2].maxSize` from `["nodePools", 2, "maxSize"]`. */
export function joinPath(root: string, parts: readonly PropertyKey[]): string {
  let out = root;
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}
