/** kubeadm's CA pin, computed in the program (pure). */
import { createHash, createPublicKey } from "crypto";

/**
 * `sha256:<hex>` of the DER-encoded SubjectPublicKeyInfo of `publicKeyPem` (a public key, or a
 * certificate's key): the `caCertHashes` value `kubeadm join` verifies the cluster CA against.
 */
export function discoveryHash(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}
