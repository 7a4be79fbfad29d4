// Original file: pixellm/v1/pixellm.proto

import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import type {
  CancelJobRequest as _pixellm_v1_CancelJobRequest,
  CancelJobRequest__Output as _pixellm_v1_CancelJobRequest__Output,
} from "../../pixellm/v1/CancelJobRequest";
import type {
  GetJobRequest as _pixellm_v1_GetJobRequest,
  GetJobRequest__Output as _pixellm_v1_GetJobRequest__Output,
} from "../../pixellm/v1/GetJobRequest";
import type { Job as _pixellm_v1_Job, Job__Output as _pixellm_v1_Job__Output } from "../../pixellm/v1/Job";
import type {
  SegmentEvent as _pixellm_v1_SegmentEvent,
  SegmentEvent__Output as _pixellm_v1_SegmentEvent__Output,
} from "../../pixellm/v1/SegmentEvent";
import type {
  SegmentRequest as _pixellm_v1_SegmentRequest,
  SegmentRequest__Output as _pixellm_v1_SegmentRequest__Output,
} from "../../pixellm/v1/SegmentRequest";
import type {
  SegmentResponse as _pixellm_v1_SegmentResponse,
  SegmentResponse__Output as _pixellm_v1_SegmentResponse__Output,
} from "../../pixellm/v1/SegmentResponse";
import type {
  SubmitJobRequest as _pixellm_v1_SubmitJobRequest,
  SubmitJobRequest__Output as _pixellm_v1_SubmitJobRequest__Output,
} from "../../pixellm/v1/SubmitJobRequest";
import type {
  WatchJobRequest as _pixellm_v1_WatchJobRequest,
  WatchJobRequest__Output as _pixellm_v1_WatchJobRequest__Output,
} from "../../pixellm/v1/WatchJobRequest";

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
export interface PixelLMClient extends grpc.Client {
  CancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  CancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  CancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  CancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  cancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  cancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  cancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  cancelJob(
    argument: _pixellm_v1_CancelJobRequest,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;

  GetJob(
    argument: _pixellm_v1_GetJobRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  GetJob(
    argument: _pixellm_v1_GetJobRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  GetJob(
    argument: _pixellm_v1_GetJobRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  GetJob(
    argument: _pixellm_v1_GetJobRequest,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  getJob(
    argument: _pixellm_v1_GetJobRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  getJob(
    argument: _pixellm_v1_GetJobRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  getJob(
    argument: _pixellm_v1_GetJobRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  getJob(
    argument: _pixellm_v1_GetJobRequest,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * One image and one question → answer text and one mask per target. The call's gRPC deadline
   * travels with the request through the queue and every stage.
   */
  Segment(
    argument: _pixellm_v1_SegmentRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  Segment(
    argument: _pixellm_v1_SegmentRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  Segment(
    argument: _pixellm_v1_SegmentRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  Segment(
    argument: _pixellm_v1_SegmentRequest,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * One image and one question → answer text and one mask per target. The call's gRPC deadline
   * travels with the request through the queue and every stage.
   */
  segment(
    argument: _pixellm_v1_SegmentRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  segment(
    argument: _pixellm_v1_SegmentRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  segment(
    argument: _pixellm_v1_SegmentRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;
  segment(
    argument: _pixellm_v1_SegmentRequest,
    callback: grpc.requestCallback<_pixellm_v1_SegmentResponse__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * The same, progressively: text deltas as tokens are generated, each target's mask as soon as
   * it is decoded, then the complete response.
   */
  SegmentStream(
    argument: _pixellm_v1_SegmentRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_SegmentEvent__Output>;
  SegmentStream(
    argument: _pixellm_v1_SegmentRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_SegmentEvent__Output>;
  /**
   * The same, progressively: text deltas as tokens are generated, each target's mask as soon as
   * it is decoded, then the complete response.
   */
  segmentStream(
    argument: _pixellm_v1_SegmentRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_SegmentEvent__Output>;
  segmentStream(
    argument: _pixellm_v1_SegmentRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_SegmentEvent__Output>;

  /**
   * Asynchronous jobs: submit, poll, watch, cancel. Results are kept for a configured TTL.
   */
  SubmitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  SubmitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  SubmitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  SubmitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Asynchronous jobs: submit, poll, watch, cancel. Results are kept for a configured TTL.
   */
  submitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  submitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  submitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;
  submitJob(
    argument: _pixellm_v1_SubmitJobRequest,
    callback: grpc.requestCallback<_pixellm_v1_Job__Output>,
  ): grpc.ClientUnaryCall;

  WatchJob(
    argument: _pixellm_v1_WatchJobRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_Job__Output>;
  WatchJob(
    argument: _pixellm_v1_WatchJobRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_Job__Output>;
  watchJob(
    argument: _pixellm_v1_WatchJobRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_Job__Output>;
  watchJob(
    argument: _pixellm_v1_WatchJobRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_pixellm_v1_Job__Output>;
}

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
export interface PixelLMHandlers extends grpc.UntypedServiceImplementation {
  CancelJob: grpc.handleUnaryCall<_pixellm_v1_CancelJobRequest__Output, _pixellm_v1_Job>;

  GetJob: grpc.handleUnaryCall<_pixellm_v1_GetJobRequest__Output, _pixellm_v1_Job>;

  /**
   * One image and one question → answer text and one mask per target. The call's gRPC deadline
   * travels with the request through the queue and every stage.
   */
  Segment: grpc.handleUnaryCall<_pixellm_v1_SegmentRequest__Output, _pixellm_v1_SegmentResponse>;

  /**
   * The same, progressively: text deltas as tokens are generated, each target's mask as soon as
   * it is decoded, then the complete response.
   */
  SegmentStream: grpc.handleServerStreamingCall<_pixellm_v1_SegmentRequest__Output, _pixellm_v1_SegmentEvent>;

  /**
   * Asynchronous jobs: submit, poll, watch, cancel. Results are kept for a configured TTL.
   */
  SubmitJob: grpc.handleUnaryCall<_pixellm_v1_SubmitJobRequest__Output, _pixellm_v1_Job>;

  WatchJob: grpc.handleServerStreamingCall<_pixellm_v1_WatchJobRequest__Output, _pixellm_v1_Job>;
}

export interface PixelLMDefinition extends grpc.ServiceDefinition {
  CancelJob: MethodDefinition<
    _pixellm_v1_CancelJobRequest,
    _pixellm_v1_Job,
    _pixellm_v1_CancelJobRequest__Output,
    _pixellm_v1_Job__Output
  >;
  GetJob: MethodDefinition<
    _pixellm_v1_GetJobRequest,
    _pixellm_v1_Job,
    _pixellm_v1_GetJobRequest__Output,
    _pixellm_v1_Job__Output
  >;
  Segment: MethodDefinition<
    _pixellm_v1_SegmentRequest,
    _pixellm_v1_SegmentResponse,
    _pixellm_v1_SegmentRequest__Output,
    _pixellm_v1_SegmentResponse__Output
  >;
  SegmentStream: MethodDefinition<
    _pixellm_v1_SegmentRequest,
    _pixellm_v1_SegmentEvent,
    _pixellm_v1_SegmentRequest__Output,
    _pixellm_v1_SegmentEvent__Output
  >;
  SubmitJob: MethodDefinition<
    _pixellm_v1_SubmitJobRequest,
    _pixellm_v1_Job,
    _pixellm_v1_SubmitJobRequest__Output,
    _pixellm_v1_Job__Output
  >;
  WatchJob: MethodDefinition<
    _pixellm_v1_WatchJobRequest,
    _pixellm_v1_Job,
    _pixellm_v1_WatchJobRequest__Output,
    _pixellm_v1_Job__Output
  >;
}
