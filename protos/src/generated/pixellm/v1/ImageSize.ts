// Original file: pixellm/v1/tensor.proto

/**
 * Height and width in pixels.
 */
export interface ImageSize {
  height?: number;
  width?: number;
}

/**
 * Height and width in pixels.
 */
export interface ImageSize__Output {
  height: number;
  width: number;
}
