import { defineConfig } from "vitest/config";
// scripts/build/entry-points.ts SOURCE_CONDITION (test/build checks that they agree).
const SOURCE_CONDITION = "@pixellm/source";

export default defineConfig({
  // Workspace packages run from their sources in tests; child processes that the tests start
  // through the launcher or the chart run the compiled dist/ that globalSetup builds first.
  ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/build-dist.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that generate tiny model bundles share one cache directory (see test/support); the
    // per-file workers keep onnxruntime sessions apart.
    pool: "forks",
  },
});
