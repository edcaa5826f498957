export * from "./plan";
export * from "./existing";
export * from "./policies";
export * from "./vpc";
