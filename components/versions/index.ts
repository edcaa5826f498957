export * from "./manifest";
export * from "./artifacts";
