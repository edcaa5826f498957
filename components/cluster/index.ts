export * from "./seams";
export * from "./cluster";
export * from "./bootstrap";
export * from "./role-args";
