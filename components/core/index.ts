export * from "./artifacts";
export * from "./cidr";
export * from "./names";
export * from "./tags";
export * from "./tokens";
export * from "./roles";
export * from "./instance";
export * from "./ports";
