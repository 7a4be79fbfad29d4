/**
 * A command that finished and wrote its output, but some of its work failed (the output says
 * which): exit status 1 with one line, no stack trace.
 */
export class PartialFailure extends Error {
  override name = "PartialFailure";
}
