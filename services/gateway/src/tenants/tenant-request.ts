/**
 * What a tenant may ask, checked before admission decodes anything: teacher-forced answer ids
 * need the `evaluate` permission (they skip generation, so they are for evaluation, not serving),
 * and a priority above the tenant's cap is refused rather than lowered, so the caller knows.
 */
import { status } from "@grpc/grpc-js";
import { type SegmentRequest__Output, serviceError } from "@pixellm/api";
import { MAX_PRIORITY } from "../admission";
import type { Tenant } from "./tenant";

export function checkTenantRequest(tenant: Tenant, request: SegmentRequest__Output): void {
  if (request.answerIds.length > 0 && !tenant.permissions.has("evaluate"))
    throw serviceError(
      status.PERMISSION_DENIED,
      `answer_ids (teacher forcing) need the evaluate permission, which tenant ${tenant.name} does not have; leave answer_ids empty, or ask for a key with evaluate`,
    );
  const priority = request.priority;
  // Out-of-range priorities are admission's INVALID_ARGUMENT; a valid one may still be above the cap.
  if (Number.isInteger(priority) && priority > tenant.maxPriority && priority <= MAX_PRIORITY)
    throw serviceError(
      status.PERMISSION_DENIED,
      `priority ${priority} is above tenant ${tenant.name}'s maximum (${tenant.maxPriority}); ask for ${tenant.maxPriority} or less`,
    );
}
