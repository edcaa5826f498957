export * from "./seams";
export * from "./cluster";
export * from "./from-environment";
export * from "./bootstrap";
