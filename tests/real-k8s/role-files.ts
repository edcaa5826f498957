/**
 * A machine role's boot files with their REAL values, from a recording: the plain files of its
 * `#cloud-config` user data plus the files of its Secrets Manager bundle, exactly what the node
 * would have on disk after cloud-init and the bundle fetch (tests only: secrets are revealed).
 */
import { parse } from "yaml";
import { BUNDLE_FORMAT } from "../../components/bootstrap/files";
import type { RecordedResource } from "../../tools/plan/recorder";

export interface NodeFile {
  path: string;
  content: string;
  permissions: string;
}

function byRole(resources: RecordedResource[], type: string, role: string): RecordedResource[] {
  return resources.filter((r) => r.type === type && String(r.rawInputs.secretString ?? "").includes(`"role":"${role}"`));
}

/** Every file of `role` (e.g. `control-plane-0`, `worker-general`): user data files, then bundle files. */
export function roleFiles(resources: RecordedResource[], role: string): NodeFile[] {
  const boots = resources.filter(
    (r) =>
      r.type === "pulumi-kubeadm-aws:bootstrap:RoleBootstrap" && String(r.rawOutputs?.userData ?? "").includes(`# kubeadm-aws ${role}:`),
  );
  if (boots.length !== 1) throw new Error(`expected one RoleBootstrap for ${role}, found ${boots.length}`);
  const cloud = parse(String(boots[0]!.rawOutputs!.userData)) as { write_files: NodeFile[] };
  const versions = byRole(resources, "aws:secretsmanager/secretVersion:SecretVersion", role);
  if (versions.length !== 1) throw new Error(`expected one bundle for ${role}, found ${versions.length}`);
  const bundle = JSON.parse(String(versions[0]!.rawInputs.secretString)) as { format: string; files: NodeFile[] };
  if (bundle.format !== BUNDLE_FORMAT) throw new Error(`bundle of ${role} has format ${bundle.format}`);
  return [...cloud.write_files.map((f) => ({ path: f.path, content: f.content, permissions: String(f.permissions) })), ...bundle.files];
}

/** The content of one file of a role. */
export function fileOf(files: NodeFile[], p: string): string {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`no file ${p}; files: ${files.map((x) => x.path).join(", ")}`);
  return f.content;
}
