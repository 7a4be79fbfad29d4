export { packageDefinition, services, PROTO_FILES, type PixelLMServices } from "./load";
export type * from "./types";
