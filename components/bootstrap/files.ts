/**
 * A role's boot files, the cloud-init document that installs the plain ones, and the bundle that
 * carries the sensitive ones through Secrets Manager. Pure.
 */
import { UNITS } from "./paths";
import { toYaml } from "./yaml";

export interface RoleFile {
  /** Absolute path on the node. */
  path: string;
  content: string;
  /** Octal mode, e.g. `0600`. */
  permissions: string;
  /**
   * Delivered through the role's Secrets Manager bundle, never in user data: keys, tokens, and any
   * file that embeds one (kubeadm configs with the join token, the encryption config).
   */
  sensitive: boolean;
  /**
   * Deliver a plain (secret-free) file through the bundle instead of the user data, to keep the
   * user data under EC2's 16 KiB (etcd and backup files of control-plane nodes). It is still checked
   * to be secret-free. @default false
   */
  viaBundle?: boolean;
}

/** Whether a file travels in the Secrets Manager bundle (sensitive, or plain but too big for user data). */
export function inBundle(f: RoleFile): boolean {
  return f.sensitive || f.viaBundle === true;
}

/** EC2's limit on user data (before base64). */
export const USER_DATA_LIMIT_BYTES = 16384;
export const BUNDLE_FORMAT = "kubeadm-aws-bundle/v1";
/** Secrets Manager's limit on a secret value. */
export const SECRET_VALUE_LIMIT_BYTES = 65536;

/** The `#cloud-config` user data: writes the plain files, starts the bootstrap unit. Never contains a sensitive file. */
export function renderCloudConfig(role: string, files: RoleFile[]): string {
  const doc = {
    // Nothing is downloaded at boot: packages come with the image.
    package_update: false,
    package_upgrade: false,
    write_files: files
      .filter((f) => !inBundle(f))
      .map((f) => ({ path: f.path, owner: "root:root", permissions: f.permissions, content: f.content })),
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "--no-block", UNITS.bootstrap],
    ],
  };
  return checkUserDataSize(
    role,
    `#cloud-config\n# kubeadm-aws ${role}: sensitive files come from Secrets Manager at boot, not from here.\n${toYaml(doc)}`,
  );
}

/** The one size check of every machine's user data (EC2 refuses more than 16 KiB before base64). */
export function checkUserDataSize(role: string, text: string): string {
  const size = Buffer.byteLength(text, "utf8");
  if (size > USER_DATA_LIMIT_BYTES) throw new Error(`user data of ${role} is ${size} bytes; EC2 allows ${USER_DATA_LIMIT_BYTES}`);
  return text;
}

/** The JSON bundle stored in the role's secret: the sensitive files only. */
export function renderBundle(role: string, files: RoleFile[]): string {
  const text = JSON.stringify({
    format: BUNDLE_FORMAT,
    role,
    files: files.filter(inBundle).map((f) => ({ path: f.path, permissions: f.permissions, content: f.content })),
  });
  if (Buffer.byteLength(text, "utf8") > SECRET_VALUE_LIMIT_BYTES)
    throw new Error(`bootstrap bundle of ${role} exceeds ${SECRET_VALUE_LIMIT_BYTES} bytes`);
  return text;
}

/** Files as boot artifacts: paths relative to the role folder, plus the user data as `cloud-init.yaml`. */
export function artifactFiles(role: string, files: RoleFile[]): { path: string; content: string }[] {
  return [
    { path: "cloud-init.yaml", content: renderCloudConfig(role, files) },
    ...files.map((f) => ({ path: f.path.replace(/^\/+/, ""), content: f.content })),
  ];
}
