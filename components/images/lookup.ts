/**
 * Picks a machine image by the platform manifest's exact tags (owner: this account), or a pinned
 * id. Never "latest": a new image reaches nodes only through an explicit manifest or id change.
 *
 * The lookup lists image ids (`aws.ec2.getAmiIds`) rather than asking for one image
 * (`aws.ec2.getAmi`), because the provider fails `getAmi` on no match with its own message before
 * ours could show; with the list, no match and several matches both get an error that says what
 * was looked for and what to do.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { imageTags, type PlatformVersions } from "../versions/manifest";

export type ImageVariant = "node" | "gpu";

/** The describe-images filters that select exactly the image built for this manifest: one `tag:` filter per manifest tag. */
export function imageFilters(versions: PlatformVersions, variant: ImageVariant): { name: string; values: string[] }[] {
  return Object.entries(imageTags(versions, variant))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ({ name: `tag:${k}`, values: [v] }));
}

/** Only images ready to launch: a build still registering its image must not be picked. */
export const AVAILABLE_FILTER = { name: "state", values: ["available"] } as const;

/** The exact `aws.ec2.getAmiIds` arguments of a lookup. */
export function imageQuery(versions: PlatformVersions, variant: ImageVariant, region: string): aws.ec2.GetAmiIdsArgs {
  return {
    owners: ["self"],
    filters: [...imageFilters(versions, variant), { ...AVAILABLE_FILTER, values: [...AVAILABLE_FILTER.values] }],
    // A deprecated image is still the one the manifest names; deprecation must not make it vanish.
    includeDeprecated: true,
    region,
  };
}

function tagList(versions: PlatformVersions, variant: ImageVariant): string {
  return Object.entries(imageTags(versions, variant))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** What to tell a user when no image matches. */
export function missingImageHelp(versions: PlatformVersions, variant: ImageVariant, region: string): string {
  return (
    `no available ${variant} image owned by this account in ${region} carries the tags {${tagList(versions, variant)}}. ` +
    `Build it from the same manifest: cd packer && packer init . && ` +
    `packer build -only=amazon-ebs.${variant} -var region=${region} -var 'ssh_source_cidrs=["<your IP>/32"]' . ` +
    `(packer/versions.auto.pkrvars.json must be the render of this manifest: npm run images:vars; see docs/images.md), ` +
    `or pin an image id with cluster.images.${variant === "gpu" ? "gpuAmi" : "nodeAmi"}.`
  );
}

/** What to tell a user when several images match. */
export function ambiguousImageHelp(versions: PlatformVersions, variant: ImageVariant, region: string, ids: string[]): string {
  return (
    `${ids.length} ${variant} images owned by this account in ${region} carry the tags {${tagList(versions, variant)}}: ${[...ids].sort().join(", ")}. ` +
    `The library never guesses which is newest: pin one with cluster.images.${variant === "gpu" ? "gpuAmi" : "nodeAmi"}, ` +
    `or deregister the ones no node uses.`
  );
}

/** The one image id of a lookup result; throws our error on none or several. Pure. */
export function selectImageId(
  ids: readonly string[] | undefined,
  versions: PlatformVersions,
  variant: ImageVariant,
  region: string,
): string {
  const unique = [...new Set(ids ?? [])];
  if (unique.length === 0) throw new Error(missingImageHelp(versions, variant, region));
  if (unique.length > 1) throw new Error(ambiguousImageHelp(versions, variant, region, unique));
  return unique[0]!;
}

export interface ImageLookupArgs {
  /** The platform version manifest the image was built from. Required. */
  versions: PlatformVersions;
  /** Which image: `node` (every role) or `gpu` (GPU pools). Required. */
  variant: ImageVariant;
  /** The cluster's region (the lookup's region, and named in errors). Required. */
  region: string;
  /** A pinned AMI id; when set, no lookup is made. @default undefined (look up by tags) */
  pinnedId?: string;
}

/** The AMI id for a role: the pinned id, or the one available image whose tags match the manifest exactly. */
export function lookupImage(args: ImageLookupArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  if (args.pinnedId) return pulumi.output(args.pinnedId);
  return aws.ec2
    .getAmiIdsOutput(imageQuery(args.versions, args.variant, args.region), opts)
    .apply((r) => selectImageId(r.ids, args.versions, args.variant, args.region));
}
