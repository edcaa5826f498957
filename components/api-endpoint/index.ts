export * from "./settings";
export * from "./api-endpoint";
