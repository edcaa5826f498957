export * from "./hash";
export * from "./kubeconfig";
export * from "./pki";
export * from "./token";
