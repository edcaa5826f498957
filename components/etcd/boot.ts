/**
 * What a dedicated etcd member `etcd-<n>` boots with, pure. It boots like every other role: the common boot
 * (`renderActionRoleFiles`: bootstrap env, fetch, unpacker, boot script, bootstrap unit) fetches the member's
 * bundle and runs `etcd-member-boot` instead of kubeadm, then enables the backup timer. The bundle carries the
 * member's keys (sensitive) and its plain files (config, member env, scripts, units); the user data only what
 * fetches the bundle (its bootstrap env names the member env file), the containerized member's kubelet drop-in, and the sha256 of every plain file of the bundle, so a change of any of them changes the
 * user data and replaces the member (`userDataReplaceOnChange`), and its boot checks it got those very files.
 */
import { createHash } from "crypto";
import type { RoleExtension } from "../bootstrap/extensions";
import type { RoleFile } from "../bootstrap/files";
import { UNITS } from "../bootstrap/paths";
import { renderActionRoleFiles } from "../bootstrap/roles";
import { memberFiles, memberKeyFiles, type MemberFilesInput, type MemberPki } from "./member-files";
import { ETCD_NODE_FILES } from "./node-files";

/** What a dedicated member's boot takes: its files' input, and the user's own files and units on every member. */
export interface DedicatedMemberInput extends MemberFilesInput {
  /** The member's data volume (`vol-...`). Required. */
  volumeId: string;
  /** The user's own files and units on every member (bootstrap/extensions.ts). @default undefined (none) */
  extension?: RoleExtension;
}

/** `sha256sum --check` lines of every plain file the bundle carries (sensitive ones, the keys, are left out). */
export function bootFilesDigest(files: RoleFile[]): string {
  return files
    .filter((f) => !f.sensitive && f.viaBundle === true)
    .map((f) => `${createHash("sha256").update(f.content, "utf8").digest("hex")}  ${f.path}\n`)
    .join("");
}

/** Every boot file of a dedicated member: the common boot with `etcd-member-boot` as its action, its own files, the digest. */
export function renderMemberFiles(input: DedicatedMemberInput, pki: MemberPki): RoleFile[] {
  const files = renderActionRoleFiles(
    {
      role: input.config.member.name,
      clusterName: input.cluster,
      region: input.region,
      action: ETCD_NODE_FILES.memberBoot,
      enableUnits: [UNITS.etcdBackupTimer],
      ...(input.extension ? { extension: input.extension } : {}),
    },
    [...memberFiles(input), ...memberKeyFiles(pki, input.config.paths)],
  );
  return [...files, { path: ETCD_NODE_FILES.bootFiles, content: bootFilesDigest(files), permissions: "0644", sensitive: false }];
}
