/**
 * Type tokens of the library's components: `pulumi-kubeadm-aws:<module>:<Type>`.
 * A released token never changes (state would orphan the component); add new ones instead.
 */
export const PACKAGE = "pulumi-kubeadm-aws";

export function typeToken(module: string, type: string): string {
  return `${PACKAGE}:${module}:${type}`;
}
