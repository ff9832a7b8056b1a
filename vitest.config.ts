import { defineConfig } from "vitest/config";

// Against DATABASE_URL when set (CI: the local PostgreSQL), else on the embedded PGlite.
const embedded = !process.env.DATABASE_URL;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The embedded database is one WASM backend per test file: keep the machine's 2 cores for it.
    maxWorkers: embedded ? 1 : 2,
    fileParallelism: !embedded,
  },
});
