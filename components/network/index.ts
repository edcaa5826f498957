export * from "./plan";
export * from "./policies";
export * from "./vpc";
