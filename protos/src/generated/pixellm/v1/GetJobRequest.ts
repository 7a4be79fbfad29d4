// Original file: pixellm/v1/pixellm.proto

export interface GetJobRequest {
  jobId?: string;
}

export interface GetJobRequest__Output {
  jobId: string;
}
