// Original file: pixellm/v1/pixellm.proto

import type {
  TextDelta as _pixellm_v1_TextDelta,
  TextDelta__Output as _pixellm_v1_TextDelta__Output,
} from "../../pixellm/v1/TextDelta";
import type {
  Target as _pixellm_v1_Target,
  Target__Output as _pixellm_v1_Target__Output,
} from "../../pixellm/v1/Target";
import type {
  SegmentResponse as _pixellm_v1_SegmentResponse,
  SegmentResponse__Output as _pixellm_v1_SegmentResponse__Output,
} from "../../pixellm/v1/SegmentResponse";

export interface SegmentEvent {
  text?: _pixellm_v1_TextDelta | null;
  target?: _pixellm_v1_Target | null;
  done?: _pixellm_v1_SegmentResponse | null;
  event?: "text" | "target" | "done";
}

export interface SegmentEvent__Output {
  text?: _pixellm_v1_TextDelta__Output | null;
  target?: _pixellm_v1_Target__Output | null;
  done?: _pixellm_v1_SegmentResponse__Output | null;
  event?: "text" | "target" | "done";
}
