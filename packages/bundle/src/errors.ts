export class BundleError extends Error {
  override name = "BundleError";
}
