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
