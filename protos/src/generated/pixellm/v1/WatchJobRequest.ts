// Original file: pixellm/v1/pixellm.proto

export interface WatchJobRequest {
  jobId?: string;
}

export interface WatchJobRequest__Output {
  jobId: string;
}
