export * from "./access";
export * from "./userdata";
export * from "./bastion";
