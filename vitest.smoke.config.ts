import { defineConfig } from "vitest/config";
import base from "./vitest.config";

/** `pnpm images:smoke`: builds and runs the images with podman (minutes; not part of `pnpm test`). */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/packaging/**/*.smoke.ts"],
    testTimeout: 300_000,
  },
});
