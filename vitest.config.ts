import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that generate tiny model bundles share one cache directory (see test/support); the
    // per-file workers keep onnxruntime sessions apart.
    pool: "forks",
  },
});
