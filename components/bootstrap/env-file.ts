/**
 * The one way the library writes a shell env file for a node script (role settings, paths, member
 * settings). Values are never quoted, so only characters that need no quoting are allowed; a value
 * that would need quoting is refused here, at plan time, instead of being mangled on the node.
 */

/** One `KEY=value` line's value. */
export type EnvValue = string | number | boolean;

/** Characters an unquoted env value may hold (sourced by bash, read by systemd's EnvironmentFile=). */
export const ENV_VALUE_PATTERN = /^[A-Za-z0-9_.:/@+,=%-]*$/;

/**
 * One line: `[key, value]`, or `[key, value, "quoted"]` for a library constant that holds spaces
 * (a message, a list of kubeadm phases): single-quoted, which bash and systemd read alike.
 */
export type EnvEntry = readonly [string, EnvValue] | readonly [string, EnvValue, "quoted"];

/** What a quoted value may not hold (neither bash nor systemd would read it back the same). */
const UNQUOTABLE = /['\\\n$`]/;

/** `KEY=value` lines, in order; throws naming the file (`what`) and every key whose value would need quoting. */
export function renderEnvFile(what: string, entries: readonly EnvEntry[]): string {
  const problems: string[] = [];
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const [k, raw, quoted] of entries) {
    const v = String(raw);
    if (!/^[A-Z][A-Z0-9_]*$/.test(k)) problems.push(`${k}: not an env variable name`);
    if (seen.has(k)) problems.push(`${k}: set twice`);
    seen.add(k);
    if (quoted === "quoted") {
      if (UNQUOTABLE.test(v)) problems.push(`${k}=${v} holds a quote, backslash, $, backquote or newline`);
      lines.push(`${k}='${v}'\n`);
    } else {
      if (!ENV_VALUE_PATTERN.test(v)) problems.push(`${k}=${v} has characters that would need quoting`);
      lines.push(`${k}=${v}\n`);
    }
  }
  if (problems.length > 0) throw new Error(`${what}: ${problems.join("; ")}`);
  return lines.join("");
}

/** Parses what `renderEnvFile` wrote (tests and tools read env files back with it). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i <= 0) throw new Error(`env line without '=': ${line}`);
    const v = line.slice(i + 1);
    out[line.slice(0, i)] = v.length >= 2 && v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1) : v;
  }
  return out;
}
