/** Reading the stages' own statistics (their `Info` RPC) from outside: tests and benchmarks. */
import type * as grpc from "@grpc/grpc-js";
import { type InfoRequest, type StageInfo__Output, services } from "@pixellm/api";
import { unaryCall } from "@pixellm/service-kit";
import type { ManagedProcess } from "./managed-process";

const STAGE_SERVICES = {
  "vision-encoder": "VisionEncoder",
  llm: "LLMGenerator",
  "pixel-decoder": "PixelDecoder",
} as const;

type InfoClient = grpc.Client & {
  Info(
    request: InfoRequest,
    callback: (error: grpc.ServiceError | null, response?: StageInfo__Output) => void,
  ): void;
};

export async function stageInfo(process: ManagedProcess): Promise<StageInfo__Output> {
  if (process.role === "gateway") throw new Error("a gateway has no stage Info");
  const Client = services()[STAGE_SERVICES[process.role]] as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions,
  ) => InfoClient;
  const client = new Client(process.address, process.security.credentials, process.security.options);
  try {
    return await unaryCall<StageInfo__Output>((callback) => client.Info({}, callback));
  } finally {
    client.close();
  }
}

export interface BatchTotals {
  readonly batches: number;
  readonly items: number;
  readonly mean: number;
}

/** Σ items and Σ batches over a stage's replicas (mean = items / batches). */
export async function batchTotals(processes: readonly ManagedProcess[]): Promise<BatchTotals> {
  const infos = await Promise.all(processes.map((p) => stageInfo(p)));
  const batches = infos.reduce((sum, i) => sum + Number(i.stats?.batches ?? 0), 0);
  const items = infos.reduce((sum, i) => sum + Number(i.stats?.items ?? 0), 0);
  return { batches, items, mean: batches > 0 ? items / batches : 0 };
}

/** Mean batch size of what ran between two readings. */
export function meanBetween(before: BatchTotals, after: BatchTotals): number {
  const batches = after.batches - before.batches;
  return batches > 0 ? (after.items - before.items) / batches : 0;
}
