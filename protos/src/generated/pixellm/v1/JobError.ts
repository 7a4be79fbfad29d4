// Original file: pixellm/v1/pixellm.proto

export interface JobError {
  /**
   * gRPC status code.
   */
  code?: number;
  message?: string;
  /**
   * Whether submitting again may succeed.
   */
  retryable?: boolean;
}

export interface JobError__Output {
  /**
   * gRPC status code.
   */
  code: number;
  message: string;
  /**
   * Whether submitting again may succeed.
   */
  retryable: boolean;
}
