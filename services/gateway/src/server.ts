/**
 * The public PixelLM service. Handlers are thin: take the caller's tenant (authenticated by the
 * interceptor in auth.ts), check what the tenant may ask, shed when the queue is full, admit, submit, then answer from the
 * job's progress. A tenant sees only its own jobs: another tenant's job id is NOT_FOUND. A
 * synchronous call is a job too (so it survives a gateway crash and is batched like any other);
 * the call's deadline becomes the job's absolute deadline, and a client that goes away cancels
 * its job.
 */
import * as grpc from "@grpc/grpc-js";
import { trace } from "@opentelemetry/api";
import {
  type CancelJobRequest__Output,
  type GetJobRequest__Output,
  type Job,
  type SegmentEvent,
  type SegmentRequest__Output,
  type SegmentResponse,
  type SubmitJobRequest__Output,
  type WatchJobRequest__Output,
  serviceError,
} from "@pixellm/api";
import { EngineError } from "@pixellm/errors";
import { type Logger, callContext, serverStreamHandler, unaryHandler } from "@pixellm/service-kit";
import type { LlamaTokenizer } from "@pixellm/tokenizer";
import type { Admission } from "./admission";
import { tenantOf } from "./auth";
import { checkIdempotencyKey, checkJobId } from "./job-ids";
import { jobMessage, responseOf } from "./job-proto";
import type { JobSubmitter } from "./jobs";
import { vanishedFailure } from "./queue/job-failure";
import { type JobQueue, type JobView, TERMINAL_STATES } from "./queue/job-queue";
import { checkTenantRequest } from "./tenants/tenant-request";
import type { Tenant } from "./tenants/tenant";
import { TextStreamer } from "./text-streamer";

const EMPTY_IMAGE = Buffer.alloc(0);

export interface GatewayHandlersDeps {
  readonly admission: Admission;
  readonly submitter: JobSubmitter;
  readonly queue: JobQueue;
  readonly tokenizer: LlamaTokenizer;
  readonly defaultTimeoutMs: number;
  readonly logger: Logger;
}

export function gatewayHandlers(deps: GatewayHandlersDeps): grpc.UntypedServiceImplementation {
  const unary = <Req, Res>(handle: (call: grpc.ServerUnaryCall<Req, Res>, tenant: Tenant) => Promise<Res>) =>
    unaryHandler<Req, Res>((call) => handle(call, tenantOf(call)));
  const streaming = <Req, Res>(
    handle: (call: grpc.ServerWritableStream<Req, Res>, tenant: Tenant) => Promise<void>,
  ) => serverStreamHandler<Req, Res>((call) => handle(call, tenantOf(call)));

  /** The tenant's job of this id; NOT_FOUND for another tenant's job, exactly as for an unknown id. */
  const ownJob = async (id: string, tenant: Tenant): Promise<JobView> => {
    checkJobId(id);
    const view = await deps.queue.get(id);
    return known(view?.tenant === tenant.name ? view : undefined, id);
  };

  /**
   * What runs before a request's image is decoded, cheapest refusal first: the tenant's
   * permissions, the idempotency key (SubmitJob's; empty otherwise), a full queue; then admission.
   */
  const admit = async (request: SegmentRequest__Output, tenant: Tenant, idempotencyKey = "") => {
    checkTenantRequest(tenant, request);
    checkIdempotencyKey(idempotencyKey);
    await deps.submitter.shedIfFull();
    return deps.admission.admit(request);
  };

  /** Admits and submits a synchronous request as a job; the call's cancellation cancels it. */
  const start = async (
    call:
      | grpc.ServerUnaryCall<SegmentRequest__Output, unknown>
      | grpc.ServerWritableStream<SegmentRequest__Output, unknown>,
    tenant: Tenant,
  ) => {
    const context = callContext(call);
    const admitted = await admit(call.request, tenant);
    // The call lasts as long as its job: it must not keep the encoded image (a view of the whole
    // received message, up to GATEWAY_MAX_IMAGE_BYTES) alive that long once it is admitted.
    call.request.image = EMPTY_IMAGE;
    const deadline = context.deadline ?? Date.now() + deps.defaultTimeoutMs;
    const { view } = await deps.submitter.submit(admitted, { deadline, tenant });
    trace.getActiveSpan()?.setAttribute("pixellm.job_id", view.id);
    context.signal.addEventListener("abort", () => void deps.queue.cancel(view.id), { once: true });
    return { view, signal: context.signal };
  };

  return {
    Segment: unary<SegmentRequest__Output, SegmentResponse>(async (call, tenant) => {
      const { view, signal } = await start(call, tenant);
      let last: JobView | undefined;
      for await (const update of deps.queue.watch(view.id, signal))
        if (update.kind === "state") last = update.view;
      return finished(last, view.id);
    }),

    SegmentStream: streaming<SegmentRequest__Output, SegmentEvent>(async (call, tenant) => {
      const { view, signal } = await start(call, tenant);
      const text = new TextStreamer(deps.tokenizer);
      let last: JobView | undefined;
      let sentTokens = 0;
      for await (const update of deps.queue.watch(view.id, signal)) {
        if (update.kind === "state") {
          last = update.view;
          continue;
        }
        const event = update.event;
        if (event.kind === "tokens" && event.total > sentTokens) {
          // A job resumed from its checkpoint reports every id again: send only the new ones.
          const fresh = event.ids.slice(event.ids.length - (event.total - sentTokens));
          sentTokens = event.total;
          call.write({ text: { text: text.push(fresh), ids: fresh } });
        } else if (event.kind === "target") {
          call.write({ target: event.target });
        }
      }
      call.write({ done: finished(last, view.id) });
    }),

    SubmitJob: unary<SubmitJobRequest__Output, Job>(async (call, tenant) => {
      const request = call.request.request;
      if (!request) throw new EngineError("invalid_argument", "request is required");
      const key = call.request.idempotencyKey;
      const admitted = await admit(request, tenant, key);
      const deadline =
        call.request.deadlineUnixMs > 0 ? call.request.deadlineUnixMs : Date.now() + deps.defaultTimeoutMs;
      if (deadline <= Date.now())
        throw new EngineError("invalid_argument", "deadline_unix_ms is in the past");
      const { view, created } = await deps.submitter.submit(admitted, {
        deadline,
        tenant,
        ...(key ? { idempotencyKey: key } : {}),
      });
      trace.getActiveSpan()?.setAttribute("pixellm.job_id", view.id);
      deps.logger.info(created ? "job submitted" : "job resubmitted with its idempotency key", {
        job_id: view.id,
        tenant: tenant.name,
      });
      return jobMessage(view);
    }),

    GetJob: unary<GetJobRequest__Output, Job>(async (call, tenant) =>
      jobMessage(await ownJob(call.request.jobId, tenant)),
    ),

    CancelJob: unary<CancelJobRequest__Output, Job>(async (call, tenant) => {
      await ownJob(call.request.jobId, tenant);
      return jobMessage(known(await deps.queue.cancel(call.request.jobId), call.request.jobId));
    }),

    WatchJob: streaming<WatchJobRequest__Output, Job>(async (call, tenant) => {
      const { signal } = callContext(call);
      await ownJob(call.request.jobId, tenant);
      for await (const update of deps.queue.watch(call.request.jobId, signal)) {
        if (update.kind === "state") call.write(jobMessage(update.view));
      }
    }),
  };
}

function known(view: JobView | undefined, id: string): JobView {
  if (!view)
    throw serviceError(grpc.status.NOT_FOUND, `job ${JSON.stringify(id)} is unknown or its result expired`);
  return view;
}

/** The response of a finished job, or the status it ended with. */
function finished(view: JobView | undefined, id: string): SegmentResponse {
  if (!view) throw serviceError(grpc.status.UNAVAILABLE, vanishedFailure(id).message);
  if (!TERMINAL_STATES.has(view.state))
    throw serviceError(grpc.status.DEADLINE_EXCEEDED, `job ${id} did not finish before the call's deadline`);
  if (view.state === "succeeded") return responseOf(view);
  const error = view.error ?? { code: grpc.status.UNKNOWN, message: "the job failed" };
  throw serviceError(error.code, error.message);
}
