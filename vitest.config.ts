import { defineConfig } from 'vitest/config';

// Two projects, both run by `npm test` and CI:
// - unit: pure code and in-process HTTP servers; no Temporal, no PostgreSQL.
// - integration: one Temporal dev server and one PostgreSQL per run, started by
//   test/support/global-setup.ts; each test file gets its own database and task queue.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/setup.ts'],
          testTimeout: 20_000,
          // Pure tests first; they need no servers.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/support/setup.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // 2 cores: the dev server, PostgreSQL and the workers share them.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
