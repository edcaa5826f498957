export * from "./presets";
export * from "./tags";
export * from "./launch";
export * from "./node-pool";
