/** A mistake in the command line itself; printed with the command's usage. */
export class UsageError extends Error {
  override name = "UsageError";
}
