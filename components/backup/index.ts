export * from "./bucket";
export * from "./policy";
export * from "./scripts";
