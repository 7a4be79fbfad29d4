// Original file: pixellm/v1/stages.proto

import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import type {
  EncodeRequest as _pixellm_v1_EncodeRequest,
  EncodeRequest__Output as _pixellm_v1_EncodeRequest__Output,
} from "../../pixellm/v1/EncodeRequest";
import type {
  EncodeResponse as _pixellm_v1_EncodeResponse,
  EncodeResponse__Output as _pixellm_v1_EncodeResponse__Output,
} from "../../pixellm/v1/EncodeResponse";
import type {
  InfoRequest as _pixellm_v1_InfoRequest,
  InfoRequest__Output as _pixellm_v1_InfoRequest__Output,
} from "../../pixellm/v1/InfoRequest";
import type {
  StageInfo as _pixellm_v1_StageInfo,
  StageInfo__Output as _pixellm_v1_StageInfo__Output,
} from "../../pixellm/v1/StageInfo";

export interface VisionEncoderClient extends grpc.Client {
  Encode(
    argument: _pixellm_v1_EncodeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  Encode(
    argument: _pixellm_v1_EncodeRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  Encode(
    argument: _pixellm_v1_EncodeRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  Encode(
    argument: _pixellm_v1_EncodeRequest,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  encode(
    argument: _pixellm_v1_EncodeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  encode(
    argument: _pixellm_v1_EncodeRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  encode(
    argument: _pixellm_v1_EncodeRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
  ): grpc.ClientUnaryCall;
  encode(
    argument: _pixellm_v1_EncodeRequest,
    callback: grpc.requestCallback<_pixellm_v1_EncodeResponse__Output>,
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

export interface VisionEncoderHandlers extends grpc.UntypedServiceImplementation {
  Encode: grpc.handleUnaryCall<_pixellm_v1_EncodeRequest__Output, _pixellm_v1_EncodeResponse>;

  Info: grpc.handleUnaryCall<_pixellm_v1_InfoRequest__Output, _pixellm_v1_StageInfo>;
}

export interface VisionEncoderDefinition extends grpc.ServiceDefinition {
  Encode: MethodDefinition<
    _pixellm_v1_EncodeRequest,
    _pixellm_v1_EncodeResponse,
    _pixellm_v1_EncodeRequest__Output,
    _pixellm_v1_EncodeResponse__Output
  >;
  Info: MethodDefinition<
    _pixellm_v1_InfoRequest,
    _pixellm_v1_StageInfo,
    _pixellm_v1_InfoRequest__Output,
    _pixellm_v1_StageInfo__Output
  >;
}
