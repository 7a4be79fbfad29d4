/** A question's submission waits out retryable refusals (a tenant at its job limit), and only those. */
import { status } from "@grpc/grpc-js";
import { serviceError } from "@pixellm/api";
import { expect, it } from "vitest";
import { submitRetrying } from "../src/eval/submit-retrying";

function refusing(times: number, code: status) {
  let calls = 0;
  return {
    submit: () => (++calls <= times ? Promise.reject(serviceError(code, "refused")) : Promise.resolve("job")),
    calls: () => calls,
  };
}

it("retries RESOURCE_EXHAUSTED until the submission is accepted", async () => {
  const attempt = refusing(2, status.RESOURCE_EXHAUSTED);
  await expect(submitRetrying(attempt.submit, Date.now() + 10_000)).resolves.toBe("job");
  expect(attempt.calls()).toBe(3);
});

it("does not retry a permanent refusal", async () => {
  const attempt = refusing(1, status.PERMISSION_DENIED);
  await expect(submitRetrying(attempt.submit, Date.now() + 10_000)).rejects.toMatchObject({
    code: status.PERMISSION_DENIED,
  });
  expect(attempt.calls()).toBe(1);
});

it("gives up when the next try would start after the deadline", async () => {
  const attempt = refusing(100, status.RESOURCE_EXHAUSTED);
  await expect(submitRetrying(attempt.submit, Date.now() + 600)).rejects.toMatchObject({
    code: status.RESOURCE_EXHAUSTED,
  });
  // Tries at 0 and 250 ms; a third (after 500 ms more) would start past the 600 ms deadline.
  expect(attempt.calls()).toBe(2);
});
