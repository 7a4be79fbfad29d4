// Original file: pixellm/v1/pixellm.proto

export interface CancelJobRequest {
  jobId?: string;
}

export interface CancelJobRequest__Output {
  jobId: string;
}
