// `pulumi up` runs the exported function; its result becomes the stack outputs.
import { main } from "./program";

export = main;
