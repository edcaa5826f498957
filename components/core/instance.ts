/**
 * Instance facts every machine of the library shares (bastion, control plane, workers, etcd members).
 */

/** IMDSv2 only, hop limit 1: a pod cannot reach the node's credentials through the metadata service. */
export const NODE_METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
} as const;

/** The root device of the Ubuntu images our Packer templates build (packer/build.pkr.hcl: `/dev/sda1`). */
export const ROOT_DEVICE = "/dev/sda1";

/**
 * The root volume every machine boots from, whatever its role: gp3, encrypted (with `kmsKeyId`, else
 * the account's default EBS key), deleted with its instance (a machine is rebuilt from its image and
 * its boot, never repaired). Its size is the role's to decide: a node pool's from its preset, the
 * bastion's, an etcd member's, the control plane's from its spec.
 */
export const ROOT_VOLUME = { volumeType: "gp3", encrypted: true, deleteOnTermination: true } as const;

/**
 * The root volume of an `aws.ec2.Instance` (its `rootBlockDevice`): the device is the image's own.
 * The fields are the ones the instances have always had; another field would be a diff on every
 * control-plane node and etcd member, which are replaced one at a time and only on purpose.
 */
export function instanceRootVolume<K>(sizeGiB: number, kmsKeyId?: K) {
  return {
    volumeSize: sizeGiB,
    volumeType: ROOT_VOLUME.volumeType,
    encrypted: ROOT_VOLUME.encrypted,
    deleteOnTermination: ROOT_VOLUME.deleteOnTermination,
    ...(kmsKeyId ? { kmsKeyId } : {}),
  };
}

/**
 * The same root volume as a launch template's `blockDeviceMappings` entry: it names the device
 * (`deviceName`, default the image's `ROOT_DEVICE`), and the launch template API takes its booleans
 * as the strings "true" / "false".
 */
export function launchTemplateRootVolume<K>(sizeGiB: number, kmsKeyId?: K, deviceName: string = ROOT_DEVICE) {
  const { encrypted, deleteOnTermination, ...rest } = instanceRootVolume(sizeGiB, kmsKeyId);
  return { deviceName, ebs: { ...rest, encrypted: String(encrypted), deleteOnTermination: String(deleteOnTermination) } };
}
