export * from "./errors";
export * from "./schema";
export * from "./resolve";
export { MAX_CLUSTER_NAME, MAX_POOL_NAME } from "./rules";
// The node-label rule config validation uses; its one home is components/core/labels.ts.
export {
  ALLOWED_LABEL_NAMESPACES,
  KUBELET_LABEL_RULE,
  isKubeletLabel,
  labelKeyProblem,
  labelValueProblem,
  nodeLabelProblems,
} from "../core/labels";
