export * from "./lookup";
export * from "./packer";
