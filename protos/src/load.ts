/**
 * Loads the pixellm.v1 protos with the options the generated types assume (int64 as numbers,
 * enums as strings, defaults and oneof names filled in), for servers, clients and reflection.
 */
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type PackageDefinition, loadSync } from "@grpc/proto-loader";
import type { ProtoGrpcType as PixelLMGrpc } from "./generated/pixellm";
import type { ProtoGrpcType as StagesGrpc } from "./generated/stages";

/** This package's directory: the .proto files sit beside src/ (and dist/, where this file is compiled to). */
const PROTO_ROOT = path.resolve(import.meta.dirname, "..");
export const PROTO_FILES = ["pixellm/v1/pixellm.proto", "pixellm/v1/stages.proto", "pixellm/v1/tensor.proto"];

const LOADER_OPTIONS = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cachedDefinition: PackageDefinition | undefined;
let cachedServices: PixelLMServices | undefined;

/** The package definition of every pixellm.v1 file (also what server reflection serves). */
export function packageDefinition(): PackageDefinition {
  cachedDefinition ??= loadSync(PROTO_FILES, { ...LOADER_OPTIONS });
  return cachedDefinition;
}

export type PixelLMServices = PixelLMGrpc["pixellm"]["v1"] & StagesGrpc["pixellm"]["v1"];

/** Service constructors and definitions of pixellm.v1 (PixelLM, VisionEncoder, LLMGenerator, PixelDecoder). */
export function services(): PixelLMServices {
  // Built once: every client (and each launcher Info probe) asks for the constructors.
  cachedServices ??= (grpc.loadPackageDefinition(packageDefinition()) as unknown as PixelLMGrpc & StagesGrpc)
    .pixellm.v1;
  return cachedServices;
}
