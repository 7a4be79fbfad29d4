/** A scheduler over the fake model, with settings tests override one at a time. */
import { LlmScheduler, type SchedulerOptions } from "../../src";
import { EOS, FakeModel, type FakeModelOptions, SEG } from "./fake-model";

export const ROOMY: SchedulerOptions = { maxBatchSize: 8, kvBudgetTokens: 1 << 20, maxPrefillRows: 4 };

export function setup(
  options: Partial<SchedulerOptions> = {},
  model: FakeModelOptions = {},
): { fake: FakeModel; scheduler: LlmScheduler } {
  const fake = new FakeModel(model);
  const scheduler = new LlmScheduler(fake, { eos: EOS, seg: SEG }, { ...ROOMY, ...options });
  return { fake, scheduler };
}
