/**
 * The join (bootstrap) token: format, and the rotation key a stack can derive from the date.
 *
 * Lifetime design (docs/bootstrap.md, "Join token"): the current token lives in every role's
 * Secrets Manager bundle. Control-plane nodes run an hourly timer that re-reads their bundle and
 * keeps that token valid in the cluster (recreating it with a fresh TTL before it runs out), so a
 * node an autoscaler launches months later still joins. Rotation is a Pulumi change: a new
 * `tokenRotation` value regenerates the token (random's keepers), updates the secrets in place
 * (no user data changes, no node rolls), and the timer installs the new token within the hour;
 * the old one then expires by its TTL.
 */

/** kubeadm's bootstrap token format. */
export const BOOTSTRAP_TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/**
 * A rotation key that changes every `periodDays` days: the UTC date (`YYYY-MM-DD`) the current
 * period began, counting from 1970-01-01. Pass it as ClusterPki's `tokenRotation` to rotate the
 * token on the first `pulumi up` of each period.
 */
export function rotationWindow(now: Date, periodDays: number): string {
  if (!Number.isInteger(periodDays) || periodDays < 1) throw new Error(`periodDays must be a whole number >= 1 (got ${periodDays})`);
  const day = 86_400_000;
  const start = Math.floor(now.getTime() / day / periodDays) * periodDays * day;
  return new Date(start).toISOString().slice(0, 10);
}
