// Original file: pixellm/v1/stages.proto

import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import type {
  GenerateRequest as _pixellm_v1_GenerateRequest,
  GenerateRequest__Output as _pixellm_v1_GenerateRequest__Output,
} from "../../pixellm/v1/GenerateRequest";
import type {
  GenerateResponse as _pixellm_v1_GenerateResponse,
  GenerateResponse__Output as _pixellm_v1_GenerateResponse__Output,
} from "../../pixellm/v1/GenerateResponse";
import type {
  InfoRequest as _pixellm_v1_InfoRequest,
  InfoRequest__Output as _pixellm_v1_InfoRequest__Output,
} from "../../pixellm/v1/InfoRequest";
import type {
  StageInfo as _pixellm_v1_StageInfo,
  StageInfo__Output as _pixellm_v1_StageInfo__Output,
} from "../../pixellm/v1/StageInfo";

export interface LLMGeneratorClient extends grpc.Client {
  /**
   * Streams token deltas, then one final message with the codebook hidden states.
   */
  Generate(
    argument: _pixellm_v1_GenerateRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_GenerateResponse__Output>;
  Generate(
    argument: _pixellm_v1_GenerateRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_GenerateResponse__Output>;
  /**
   * Streams token deltas, then one final message with the codebook hidden states.
   */
  generate(
    argument: _pixellm_v1_GenerateRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_GenerateResponse__Output>;
  generate(
    argument: _pixellm_v1_GenerateRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_GenerateResponse__Output>;

  Info(
    argument: _pixellm_v1_InfoRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  Info(
    argument: _pixellm_v1_InfoRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  Info(
    argument: _pixellm_v1_InfoRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  Info(
    argument: _pixellm_v1_InfoRequest,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  info(
    argument: _pixellm_v1_InfoRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  info(
    argument: _pixellm_v1_InfoRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  info(
    argument: _pixellm_v1_InfoRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
  info(
    argument: _pixellm_v1_InfoRequest,
    callback: grpc.requestCallback<_pixellm_v1_StageInfo__Output>,
  ): grpc.ClientUnaryCall;
}

export interface LLMGeneratorHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Streams token deltas, then one final message with the codebook hidden states.
   */
  Generate: grpc.handleServerStreamingCall<_pixellm_v1_GenerateRequest__Output, _pixellm_v1_GenerateResponse>;

  Info: grpc.handleUnaryCall<_pixellm_v1_InfoRequest__Output, _pixellm_v1_StageInfo>;
}

export interface LLMGeneratorDefinition extends grpc.ServiceDefinition {
  Generate: MethodDefinition<
    _pixellm_v1_GenerateRequest,
    _pixellm_v1_GenerateResponse,
    _pixellm_v1_GenerateRequest__Output,
    _pixellm_v1_GenerateResponse__Output
  >;
  Info: MethodDefinition<
    _pixellm_v1_InfoRequest,
    _pixellm_v1_StageInfo,
    _pixellm_v1_InfoRequest__Output,
    _pixellm_v1_StageInfo__Output
  >;
}
