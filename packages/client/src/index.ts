export { PixelLMClient, type ClientOptions, type CallOptions, type SegmentInput } from "./client";
