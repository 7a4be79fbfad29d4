// Original file: pixellm/v1/stages.proto

export interface InfoRequest {}

export interface InfoRequest__Output {}
