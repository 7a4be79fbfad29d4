export { ImageInputError, type ImageInputErrorCode } from "./errors";
export { type RgbImage } from "./rgb-image";
export { type ImageFormat, sniffImageFormat } from "./sniff";
export { type DecodeLimits, DEFAULT_DECODE_LIMITS, decodeImage } from "./decode";
export { CLIP_IMAGE_SIZE, checkResizable, longestSideShape } from "./longest-side";
export { resizeBilinearPil } from "./pil-resize";
export {
  type ClipInput,
  PIXEL_MEAN,
  PIXEL_STD,
  preprocessForClip,
  resizeForClip,
  normalizeForClip,
} from "./preprocess";
export { type PlaneView, forEachInterpolatedRow, interpolateBilinear, planeOf } from "./interpolate";
export {
  type MaskGeometry,
  type PostprocessedMask,
  maskLogitsAtOriginal,
  postprocessMask,
  postprocessMasks,
} from "./postprocess";
export {
  type CocoRle,
  type Rle,
  cocoRleToRle,
  decodeRle,
  encodeCocoRle,
  encodeRle,
  rleArea,
  rleCountsFromString,
  rleCountsToString,
  rleToBbox,
} from "./rle";
export { maskToPng, overlayMask, overlayPng, rgbToPng } from "./mask-png";
export { polygonToRle } from "./coco-polygon";
