export * from "./rules";
export * from "./evaluate";
export * from "./resources";
export * from "./groups";
