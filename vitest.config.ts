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
          // 2 cores, shared with the dev server and PostgreSQL: most of an integration file's time is
          // spent waiting on timers, servers and the simulator (a 2-worker CI run used 1.3 cores on
          // average), so a third file runs in that idle time.
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
