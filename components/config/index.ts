export * from "./spec";
export * from "./errors";
export * from "./schema";
export * from "./resolve";
export { labelKeyProblem, restrictedLabelProblem, MAX_CLUSTER_NAME, MAX_POOL_NAME } from "./rules";
