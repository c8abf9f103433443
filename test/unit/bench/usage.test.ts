// Bad flags to the benchmark programs: one line saying what was wrong, exit 2, no stack.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function run(program: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', program, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr.trim() };
}

describe('bench, bench:events and chaos flags', () => {
  it.each([
    ['bench/main.ts', ['--rate', 'fast'], 'npm run bench: --rate: expected a number ≥ 0, got fast'],
    ['bench/main.ts', ['--after-charge', 'later'], 'npm run bench: --after-charge: renew or end, got later'],
    ['bench/main.ts', ['--baseline-retries', 'some'], 'npm run bench: --baseline-retries: intended or actual, got some'],
    ['bench/main.ts', ['--subscriptons', '10'], "npm run bench: Unknown option '--subscriptons'"],
    ['bench/main.ts', ['--replicas', '0'], 'npm run bench: --replicas: expected a whole number from 1 to 16, got 0'],
    ['bench/main.ts', ['--temporal', 'foo'], 'npm run bench: --temporal: expected dev, cluster, or both comma-separated (dev,cluster), got foo'],
    ['bench/main.ts', ['--idle-checkpoints', '0'], 'npm run bench: --idle-checkpoints: expected a whole number ≥ 1, got 0'],
    ['bench/chaos.ts', ['--kills', '2.5'], 'npm run chaos: --kills: expected a whole number ≥ 0, got 2.5'],
    ['bench/chaos.ts', ['--temporal', 'dev,cluster'], 'npm run chaos: --temporal: expected dev or cluster, got dev,cluster'],
    ['bench/chaos.ts', ['--replicas', 'two'], 'npm run chaos: --replicas: expected a whole number from 1 to 16, got two'],
    ['bench/events-cost.ts', ['--order', 'sideways'], 'npm run bench:events: --order: without,with or with,without, got sideways'],
    ['bench/events-cost.ts', ['--endpoints', '0'], 'npm run bench:events: --endpoints: expected a whole number ≥ 1, got 0'],
  ])(
    '%s %j is refused in one line with exit 2',
    (program, args, message) => {
      const { status, stderr } = run(program, args);
      expect(status).toBe(2);
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toContain(message);
      expect(stderr).toContain('--help lists every flag');
    },
    30_000,
  ); // a tsx start-up each; chaos.ts loads the worker SDK (≈ 4 s here)
});
