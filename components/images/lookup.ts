/**
 * Picks a machine image by the platform manifest's exact tags (owner: this account), or a pinned
 * id. Never "latest": a new image reaches nodes only through an explicit manifest or id change.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { imageTags, type PlatformVersions } from "../versions/manifest";

export type ImageVariant = "node" | "gpu";

/** The `aws.ec2.getAmi` filters that select exactly the image built for this manifest. */
export function imageFilters(versions: PlatformVersions, variant: ImageVariant): { name: string; values: string[] }[] {
  return Object.entries(imageTags(versions, variant))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ({ name: `tag:${k}`, values: [v] }));
}

/** What to tell a user when no image matches. */
export function missingImageHelp(versions: PlatformVersions, variant: ImageVariant, region: string): string {
  const tags = Object.entries(imageTags(versions, variant)).map(([k, v]) => `${k}=${v}`).join(", ");
  return `no ${variant} image owned by this account in ${region} carries the tags {${tags}}. ` +
    `Build it with: cd packer && packer build -var region=${region} -var-file=versions.auto.pkrvars.json ${variant === "gpu" ? "gpu" : "node"}.pkr.hcl ` +
    `(see README, "Machine images"), or pin an id with cluster.images.${variant === "gpu" ? "gpuAmi" : "nodeAmi"}.`;
}

export interface ImageLookupArgs {
  versions: PlatformVersions;
  variant: ImageVariant;
  region: string;
  /** A pinned AMI id; when set, no lookup is made. @default undefined (look up by tags) */
  pinnedId?: string;
}

/** The AMI id for a role: the pinned id, or the one image whose tags match the manifest exactly. */
export function lookupImage(args: ImageLookupArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  if (args.pinnedId) return pulumi.output(args.pinnedId);
  return aws.ec2
    .getAmiOutput({ owners: ["self"], filters: imageFilters(args.versions, args.variant), mostRecent: false }, opts)
    .apply((ami) => {
      if (!ami.id) throw new Error(missingImageHelp(args.versions, args.variant, args.region));
      return ami.id;
    });
}
