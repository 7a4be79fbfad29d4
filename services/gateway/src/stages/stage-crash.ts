/**
 * Telling a stage process that died with a call in flight from a replica that was not reachable.
 * Both fail UNAVAILABLE, but only the first may have been caused by the request itself (an
 * out-of-memory kill, a crash in native code), so only it counts towards poison (see
 * ReplicaPool.call). grpc-js words them apart (src/subchannel-call.ts, load-balancer-pick-first.ts):
 * a stream cut by its connection ends "Connection dropped", or with the socket's own ECONNRESET /
 * EPIPE; a call that never reached a process ends "No connection established", "connect
 * ECONNREFUSED" or "Stream refused by server"; a stage that refuses (draining, overloaded) sends
 * its own message.
 */
import { status } from "@grpc/grpc-js";
import { statusOf } from "@pixellm/api";

const DROPPED_MID_CALL = /^Connection dropped$|\bECONNRESET\b|\bEPIPE\b/;

/** A job whose calls crashed one stage twice is poison: no replica and no queue retry gets it again. */
export const POISON_CRASHES = 2;

export function isMidCallDrop(error: unknown): boolean {
  const { code, message } = statusOf(error);
  return code === status.UNAVAILABLE && DROPPED_MID_CALL.test(message);
}

/** Why a poison job failed (with INTERNAL, which neither the queue nor clients retry). */
export function poisonMessage(stage: string): string {
  return `the request crashed the ${stage} stage twice (its process died with the call in flight); not retried`;
}
