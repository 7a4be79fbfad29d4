export * from "./manifest";
export { BundleError } from "./errors";
export { loadBundle, sha256File, type LoadedBundle, type BundleVerification } from "./load-bundle";
