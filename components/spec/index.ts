/** The resolved cluster model every component reads: ClusterSpec and its parts (pure types). */
export * from "./spec";
