export {
  PixelLMClient,
  type ClientOptions,
  type TlsOptions,
  type CallOptions,
  type SegmentInput,
} from "./client";
export type {
  SegmentRequest,
  SegmentResponse__Output as SegmentResponse,
  SegmentEvent__Output as SegmentEvent,
  Job__Output as Job,
  Target__Output as Target,
  CocoRle__Output as CocoRle,
} from "@pixellm/protos";
