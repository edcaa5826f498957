export * from "./evaluate";
export * from "./node-role";
export * from "./policy";
