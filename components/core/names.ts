/** Deterministic naming that fits AWS limits. */
import { createHash } from "crypto";

/** AWS name limits the library relies on. */
export const AWS_NAME_LIMITS = {
  loadBalancer: 32,
  targetGroup: 32,
  iamRole: 64,
  autoScalingGroup: 255,
  s3Bucket: 63,
} as const;

/** A DNS label: lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The first `n` hex digits of sha256(text). */
export function shortHash(text: string, n = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, n);
}

/**
 * `name` if it fits in `max` characters; otherwise a prefix of it, a hyphen and a hash of the
 * whole name, exactly `max` characters long. Deterministic: the same input always gives the same
 * name, and two different long names sharing a prefix get different names.
 */
export function awsName(name: string, max: number): string {
  if (max < 8) throw new Error(`awsName: max ${max} is too small to hold a hash`);
  if (name.length <= max) return name;
  const hash = shortHash(name, 6);
  const prefix = name.slice(0, max - hash.length - 1).replace(/-+$/, "");
  return `${prefix}-${hash}`;
}
