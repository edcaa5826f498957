export * from "./environment";
export * from "./seam";
export * from "./cluster-environment";
export * from "./existing-network";
