export * from "./placement";
export * from "./policy";
export * from "./control-plane";
