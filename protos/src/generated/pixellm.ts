import type * as grpc from "@grpc/grpc-js";
import type { EnumTypeDefinition, MessageTypeDefinition } from "@grpc/proto-loader";

import type {
  BatchStats as _pixellm_v1_BatchStats,
  BatchStats__Output as _pixellm_v1_BatchStats__Output,
} from "./pixellm/v1/BatchStats";
import type {
  CancelJobRequest as _pixellm_v1_CancelJobRequest,
  CancelJobRequest__Output as _pixellm_v1_CancelJobRequest__Output,
} from "./pixellm/v1/CancelJobRequest";
import type {
  CocoRle as _pixellm_v1_CocoRle,
  CocoRle__Output as _pixellm_v1_CocoRle__Output,
} from "./pixellm/v1/CocoRle";
import type {
  DecodeRequest as _pixellm_v1_DecodeRequest,
  DecodeRequest__Output as _pixellm_v1_DecodeRequest__Output,
} from "./pixellm/v1/DecodeRequest";
import type {
  DecodeResponse as _pixellm_v1_DecodeResponse,
  DecodeResponse__Output as _pixellm_v1_DecodeResponse__Output,
} from "./pixellm/v1/DecodeResponse";
import type {
  DecodedMask as _pixellm_v1_DecodedMask,
  DecodedMask__Output as _pixellm_v1_DecodedMask__Output,
} from "./pixellm/v1/DecodedMask";
import type {
  EncodeRequest as _pixellm_v1_EncodeRequest,
  EncodeRequest__Output as _pixellm_v1_EncodeRequest__Output,
} from "./pixellm/v1/EncodeRequest";
import type {
  EncodeResponse as _pixellm_v1_EncodeResponse,
  EncodeResponse__Output as _pixellm_v1_EncodeResponse__Output,
} from "./pixellm/v1/EncodeResponse";
import type {
  GenerateRequest as _pixellm_v1_GenerateRequest,
  GenerateRequest__Output as _pixellm_v1_GenerateRequest__Output,
} from "./pixellm/v1/GenerateRequest";
import type {
  GenerateResponse as _pixellm_v1_GenerateResponse,
  GenerateResponse__Output as _pixellm_v1_GenerateResponse__Output,
} from "./pixellm/v1/GenerateResponse";
import type {
  GenerationDone as _pixellm_v1_GenerationDone,
  GenerationDone__Output as _pixellm_v1_GenerationDone__Output,
} from "./pixellm/v1/GenerationDone";
import type {
  GetJobRequest as _pixellm_v1_GetJobRequest,
  GetJobRequest__Output as _pixellm_v1_GetJobRequest__Output,
} from "./pixellm/v1/GetJobRequest";
import type {
  ImageSize as _pixellm_v1_ImageSize,
  ImageSize__Output as _pixellm_v1_ImageSize__Output,
} from "./pixellm/v1/ImageSize";
import type {
  InfoRequest as _pixellm_v1_InfoRequest,
  InfoRequest__Output as _pixellm_v1_InfoRequest__Output,
} from "./pixellm/v1/InfoRequest";
import type { Job as _pixellm_v1_Job, Job__Output as _pixellm_v1_Job__Output } from "./pixellm/v1/Job";
import type {
  JobError as _pixellm_v1_JobError,
  JobError__Output as _pixellm_v1_JobError__Output,
} from "./pixellm/v1/JobError";
import type {
  LLMGeneratorClient as _pixellm_v1_LLMGeneratorClient,
  LLMGeneratorDefinition as _pixellm_v1_LLMGeneratorDefinition,
} from "./pixellm/v1/LLMGenerator";
import type {
  PixelDecoderClient as _pixellm_v1_PixelDecoderClient,
  PixelDecoderDefinition as _pixellm_v1_PixelDecoderDefinition,
} from "./pixellm/v1/PixelDecoder";
import type {
  PixelLMClient as _pixellm_v1_PixelLMClient,
  PixelLMDefinition as _pixellm_v1_PixelLMDefinition,
} from "./pixellm/v1/PixelLM";
import type {
  Sampling as _pixellm_v1_Sampling,
  Sampling__Output as _pixellm_v1_Sampling__Output,
} from "./pixellm/v1/Sampling";
import type {
  SegmentEvent as _pixellm_v1_SegmentEvent,
  SegmentEvent__Output as _pixellm_v1_SegmentEvent__Output,
} from "./pixellm/v1/SegmentEvent";
import type {
  SegmentRequest as _pixellm_v1_SegmentRequest,
  SegmentRequest__Output as _pixellm_v1_SegmentRequest__Output,
} from "./pixellm/v1/SegmentRequest";
import type {
  SegmentResponse as _pixellm_v1_SegmentResponse,
  SegmentResponse__Output as _pixellm_v1_SegmentResponse__Output,
} from "./pixellm/v1/SegmentResponse";
import type {
  StageInfo as _pixellm_v1_StageInfo,
  StageInfo__Output as _pixellm_v1_StageInfo__Output,
} from "./pixellm/v1/StageInfo";
import type {
  SubmitJobRequest as _pixellm_v1_SubmitJobRequest,
  SubmitJobRequest__Output as _pixellm_v1_SubmitJobRequest__Output,
} from "./pixellm/v1/SubmitJobRequest";
import type {
  Target as _pixellm_v1_Target,
  Target__Output as _pixellm_v1_Target__Output,
} from "./pixellm/v1/Target";
import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "./pixellm/v1/Tensor";
import type {
  TextDelta as _pixellm_v1_TextDelta,
  TextDelta__Output as _pixellm_v1_TextDelta__Output,
} from "./pixellm/v1/TextDelta";
import type {
  Timings as _pixellm_v1_Timings,
  Timings__Output as _pixellm_v1_Timings__Output,
} from "./pixellm/v1/Timings";
import type {
  TokenDelta as _pixellm_v1_TokenDelta,
  TokenDelta__Output as _pixellm_v1_TokenDelta__Output,
} from "./pixellm/v1/TokenDelta";
import type {
  VisionEncoderClient as _pixellm_v1_VisionEncoderClient,
  VisionEncoderDefinition as _pixellm_v1_VisionEncoderDefinition,
} from "./pixellm/v1/VisionEncoder";
import type {
  WatchJobRequest as _pixellm_v1_WatchJobRequest,
  WatchJobRequest__Output as _pixellm_v1_WatchJobRequest__Output,
} from "./pixellm/v1/WatchJobRequest";

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  pixellm: {
    v1: {
      BatchStats: MessageTypeDefinition<_pixellm_v1_BatchStats, _pixellm_v1_BatchStats__Output>;
      CancelJobRequest: MessageTypeDefinition<
        _pixellm_v1_CancelJobRequest,
        _pixellm_v1_CancelJobRequest__Output
      >;
      CocoRle: MessageTypeDefinition<_pixellm_v1_CocoRle, _pixellm_v1_CocoRle__Output>;
      DType: EnumTypeDefinition;
      DecodeRequest: MessageTypeDefinition<_pixellm_v1_DecodeRequest, _pixellm_v1_DecodeRequest__Output>;
      DecodeResponse: MessageTypeDefinition<_pixellm_v1_DecodeResponse, _pixellm_v1_DecodeResponse__Output>;
      DecodedMask: MessageTypeDefinition<_pixellm_v1_DecodedMask, _pixellm_v1_DecodedMask__Output>;
      EncodeRequest: MessageTypeDefinition<_pixellm_v1_EncodeRequest, _pixellm_v1_EncodeRequest__Output>;
      EncodeResponse: MessageTypeDefinition<_pixellm_v1_EncodeResponse, _pixellm_v1_EncodeResponse__Output>;
      FinishReason: EnumTypeDefinition;
      GenerateRequest: MessageTypeDefinition<
        _pixellm_v1_GenerateRequest,
        _pixellm_v1_GenerateRequest__Output
      >;
      GenerateResponse: MessageTypeDefinition<
        _pixellm_v1_GenerateResponse,
        _pixellm_v1_GenerateResponse__Output
      >;
      GenerationDone: MessageTypeDefinition<_pixellm_v1_GenerationDone, _pixellm_v1_GenerationDone__Output>;
      GetJobRequest: MessageTypeDefinition<_pixellm_v1_GetJobRequest, _pixellm_v1_GetJobRequest__Output>;
      ImageSize: MessageTypeDefinition<_pixellm_v1_ImageSize, _pixellm_v1_ImageSize__Output>;
      InfoRequest: MessageTypeDefinition<_pixellm_v1_InfoRequest, _pixellm_v1_InfoRequest__Output>;
      Job: MessageTypeDefinition<_pixellm_v1_Job, _pixellm_v1_Job__Output>;
      JobError: MessageTypeDefinition<_pixellm_v1_JobError, _pixellm_v1_JobError__Output>;
      JobState: EnumTypeDefinition;
      LLMGenerator: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_LLMGeneratorClient> & {
        service: _pixellm_v1_LLMGeneratorDefinition;
      };
      PixelDecoder: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_PixelDecoderClient> & {
        service: _pixellm_v1_PixelDecoderDefinition;
      };
      /**
       * The public API, served by the gateway. Errors are gRPC status codes:
       * INVALID_ARGUMENT     bad image or question (the message says what and the limit)
       * RESOURCE_EXHAUSTED   the queue is full, or a quota is spent; retry later
       * DEADLINE_EXCEEDED    the request's deadline passed; its compute was stopped
       * CANCELLED            the job was cancelled
       * UNAVAILABLE          no healthy replica of a stage, or a transient failure: retryable
       * NOT_FOUND            unknown job id (or its result's TTL expired)
       * FAILED_PRECONDITION  the model is not ready
       * UNAUTHENTICATED      a missing or unknown API key (when keys are configured)
       */
      PixelLM: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_PixelLMClient> & {
        service: _pixellm_v1_PixelLMDefinition;
      };
      Sampling: MessageTypeDefinition<_pixellm_v1_Sampling, _pixellm_v1_Sampling__Output>;
      SegmentEvent: MessageTypeDefinition<_pixellm_v1_SegmentEvent, _pixellm_v1_SegmentEvent__Output>;
      SegmentRequest: MessageTypeDefinition<_pixellm_v1_SegmentRequest, _pixellm_v1_SegmentRequest__Output>;
      SegmentResponse: MessageTypeDefinition<
        _pixellm_v1_SegmentResponse,
        _pixellm_v1_SegmentResponse__Output
      >;
      StageInfo: MessageTypeDefinition<_pixellm_v1_StageInfo, _pixellm_v1_StageInfo__Output>;
      SubmitJobRequest: MessageTypeDefinition<
        _pixellm_v1_SubmitJobRequest,
        _pixellm_v1_SubmitJobRequest__Output
      >;
      Target: MessageTypeDefinition<_pixellm_v1_Target, _pixellm_v1_Target__Output>;
      Tensor: MessageTypeDefinition<_pixellm_v1_Tensor, _pixellm_v1_Tensor__Output>;
      TextDelta: MessageTypeDefinition<_pixellm_v1_TextDelta, _pixellm_v1_TextDelta__Output>;
      Timings: MessageTypeDefinition<_pixellm_v1_Timings, _pixellm_v1_Timings__Output>;
      TokenDelta: MessageTypeDefinition<_pixellm_v1_TokenDelta, _pixellm_v1_TokenDelta__Output>;
      VisionEncoder: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_VisionEncoderClient> & {
        service: _pixellm_v1_VisionEncoderDefinition;
      };
      WatchJobRequest: MessageTypeDefinition<
        _pixellm_v1_WatchJobRequest,
        _pixellm_v1_WatchJobRequest__Output
      >;
    };
  };
}
