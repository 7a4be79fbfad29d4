// Original file: pixellm/v1/stages.proto

import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import type {
  DecodeRequest as _pixellm_v1_DecodeRequest,
  DecodeRequest__Output as _pixellm_v1_DecodeRequest__Output,
} from "../../pixellm/v1/DecodeRequest";
import type {
  DecodeResponse as _pixellm_v1_DecodeResponse,
  DecodeResponse__Output as _pixellm_v1_DecodeResponse__Output,
} from "../../pixellm/v1/DecodeResponse";
import type {
  InfoRequest as _pixellm_v1_InfoRequest,
  InfoRequest__Output as _pixellm_v1_InfoRequest__Output,
} from "../../pixellm/v1/InfoRequest";
import type {
  StageInfo as _pixellm_v1_StageInfo,
  StageInfo__Output as _pixellm_v1_StageInfo__Output,
} from "../../pixellm/v1/StageInfo";

export interface PixelDecoderClient extends grpc.Client {
  Decode(
    argument: _pixellm_v1_DecodeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  Decode(
    argument: _pixellm_v1_DecodeRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  Decode(
    argument: _pixellm_v1_DecodeRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  Decode(
    argument: _pixellm_v1_DecodeRequest,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  decode(
    argument: _pixellm_v1_DecodeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  decode(
    argument: _pixellm_v1_DecodeRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  decode(
    argument: _pixellm_v1_DecodeRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  decode(
    argument: _pixellm_v1_DecodeRequest,
    callback: grpc.requestCallback<_pixellm_v1_DecodeResponse__Output>,
  ): grpc.ClientUnaryCall;

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

export interface PixelDecoderHandlers extends grpc.UntypedServiceImplementation {
  Decode: grpc.handleUnaryCall<_pixellm_v1_DecodeRequest__Output, _pixellm_v1_DecodeResponse>;

  Info: grpc.handleUnaryCall<_pixellm_v1_InfoRequest__Output, _pixellm_v1_StageInfo>;
}

export interface PixelDecoderDefinition extends grpc.ServiceDefinition {
  Decode: MethodDefinition<
    _pixellm_v1_DecodeRequest,
    _pixellm_v1_DecodeResponse,
    _pixellm_v1_DecodeRequest__Output,
    _pixellm_v1_DecodeResponse__Output
  >;
  Info: MethodDefinition<
    _pixellm_v1_InfoRequest,
    _pixellm_v1_StageInfo,
    _pixellm_v1_InfoRequest__Output,
    _pixellm_v1_StageInfo__Output
  >;
}
