/**
 * Boot files whose content is known only at deploy time (a Pulumi Input): what a role's boot takes from other
 * components, e.g. a colocated etcd member's config (its address comes from the subnet) or the snapshot
 * script's env (the bucket's name). RoleBootstrap carries them through its values and secrets.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RoleFile } from "./files";

/** A file added to a role's boot, its content an Input. */
export interface ExtraFile {
  /** Absolute path on the node. Required. */
  path: string;
  /** The content. Required. */
  content: pulumi.Input<string>;
  /** Octal mode. @default "0644" for plain files, "0600" for secret files */
  permissions?: string;
}

/**
 * The files `render` makes of a deploy-time `value`. Their paths and modes are learnt from rendering `shape`
 * (a stand-in value), so they are known at plan time; the contents come from `value`. A render whose paths
 * or modes depend on the value is refused when the value is known.
 */
export function inputFiles<T>(value: pulumi.Output<T>, shape: T, render: (v: T) => RoleFile[]): ExtraFile[] {
  const planned = render(shape);
  const layout = (files: RoleFile[]) => files.map((f) => `${f.path} ${f.permissions}`);
  const rendered = value.apply((v) => {
    const files = render(v);
    const want = layout(planned).join(", ");
    const got = layout(files).join(", ");
    if (got !== want)
      throw new Error(`boot files: their paths and modes must not depend on deploy-time values (planned ${want}; got ${got})`);
    return files;
  });
  return planned.map((f, i) => ({ path: f.path, permissions: f.permissions, content: rendered.apply((r) => r[i]!.content) }));
}
