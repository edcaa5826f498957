/** YAML output for nodes: YAML 1.1-safe (cloud-init and Kubernetes parse YAML 1.1, where `on`/`yes` are booleans). */
import { stringify } from "yaml";

/** One YAML document: quoted where YAML 1.1 would misread a string, no line folding, no aliases. */
export function toYaml(value: unknown): string {
  return stringify(value, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}

/** Several documents in one file, each starting with `---`. */
export function toYamlDocuments(values: unknown[]): string {
  return values.map((v) => `---\n${toYaml(v)}`).join("");
}
