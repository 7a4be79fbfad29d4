import type * as grpc from "@grpc/grpc-js";
import type { EnumTypeDefinition, MessageTypeDefinition } from "@grpc/proto-loader";

import type {
  BatchStats as _pixellm_v1_BatchStats,
  BatchStats__Output as _pixellm_v1_BatchStats__Output,
} from "./pixellm/v1/BatchStats";
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
  ImageSize as _pixellm_v1_ImageSize,
  ImageSize__Output as _pixellm_v1_ImageSize__Output,
} from "./pixellm/v1/ImageSize";
import type {
  InfoRequest as _pixellm_v1_InfoRequest,
  InfoRequest__Output as _pixellm_v1_InfoRequest__Output,
} from "./pixellm/v1/InfoRequest";
import type {
  LLMGeneratorClient as _pixellm_v1_LLMGeneratorClient,
  LLMGeneratorDefinition as _pixellm_v1_LLMGeneratorDefinition,
} from "./pixellm/v1/LLMGenerator";
import type {
  PixelDecoderClient as _pixellm_v1_PixelDecoderClient,
  PixelDecoderDefinition as _pixellm_v1_PixelDecoderDefinition,
} from "./pixellm/v1/PixelDecoder";
import type {
  Sampling as _pixellm_v1_Sampling,
  Sampling__Output as _pixellm_v1_Sampling__Output,
} from "./pixellm/v1/Sampling";
import type {
  StageInfo as _pixellm_v1_StageInfo,
  StageInfo__Output as _pixellm_v1_StageInfo__Output,
} from "./pixellm/v1/StageInfo";
import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "./pixellm/v1/Tensor";
import type {
  TokenDelta as _pixellm_v1_TokenDelta,
  TokenDelta__Output as _pixellm_v1_TokenDelta__Output,
} from "./pixellm/v1/TokenDelta";
import type {
  VisionEncoderClient as _pixellm_v1_VisionEncoderClient,
  VisionEncoderDefinition as _pixellm_v1_VisionEncoderDefinition,
} from "./pixellm/v1/VisionEncoder";

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  pixellm: {
    v1: {
      BatchStats: MessageTypeDefinition<_pixellm_v1_BatchStats, _pixellm_v1_BatchStats__Output>;
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
      ImageSize: MessageTypeDefinition<_pixellm_v1_ImageSize, _pixellm_v1_ImageSize__Output>;
      InfoRequest: MessageTypeDefinition<_pixellm_v1_InfoRequest, _pixellm_v1_InfoRequest__Output>;
      LLMGenerator: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_LLMGeneratorClient> & {
        service: _pixellm_v1_LLMGeneratorDefinition;
      };
      PixelDecoder: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_PixelDecoderClient> & {
        service: _pixellm_v1_PixelDecoderDefinition;
      };
      Sampling: MessageTypeDefinition<_pixellm_v1_Sampling, _pixellm_v1_Sampling__Output>;
      StageInfo: MessageTypeDefinition<_pixellm_v1_StageInfo, _pixellm_v1_StageInfo__Output>;
      Tensor: MessageTypeDefinition<_pixellm_v1_Tensor, _pixellm_v1_Tensor__Output>;
      TokenDelta: MessageTypeDefinition<_pixellm_v1_TokenDelta, _pixellm_v1_TokenDelta__Output>;
      VisionEncoder: SubtypeConstructor<typeof grpc.Client, _pixellm_v1_VisionEncoderClient> & {
        service: _pixellm_v1_VisionEncoderDefinition;
      };
    };
  };
}
