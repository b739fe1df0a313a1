import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Integration tests talk to a real Synapse, PostgreSQL, SMTP and Chromium: allow them time, but every wait
    // inside a test has its own deadline.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers only queue behind Synapse and PostgreSQL.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
