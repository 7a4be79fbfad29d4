export * from "./dtype";
export * from "./half";
export * from "./tensor";
export { encodeNpy, decodeNpy } from "./npy";
export { streamSeed, uniformStream, normalStream, NormalStream } from "./random";
