// `npm run dev -- --temporal cluster --replicas 2`: bad options stop with one line saying what is accepted.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.js';
import { parseDevArgs } from '../../../devstack/dev-args.js';
import { REPLICA_PORT_STEP, replicaPorts } from '../../../devstack/dev-replicas.js';

describe('npm run dev options', () => {
  it('defaults to the dev server and one replica', () => {
    expect(parseDevArgs([])).toEqual({ temporal: 'dev', replicas: 1, sandboxRegion: 'na' });
    expect(parseDevArgs(['--temporal', 'cluster', '--replicas', '3'])).toEqual({ temporal: 'cluster', replicas: 3, sandboxRegion: 'na' });
    expect(parseDevArgs(['--temporal=dev', '--replicas=16', '--sandbox-region=eu'])).toEqual({ temporal: 'dev', replicas: 16, sandboxRegion: 'eu' });
  });

  it.each([
    [['--temporal', 'cloud'], /--temporal: found "cloud", expected dev .* or cluster/],
    [['--replicas', '0'], /--replicas: found "0", expected a whole number from 1 to 16/],
    [['--replicas', '2.5'], /--replicas: found "2.5"/],
    [['--replicas', '17'], /--replicas: found "17"/],
    [['--replica', '2'], /Unknown option '--replica'.*usage: npm run dev/],
    [['--sandbox-region', 'de'], /--sandbox-region: found "de", expected na, eu \(EU and UK: PSD2 rules\) or jp/],
    [['cluster'], /positional argument.*usage: npm run dev/],
    // A negative number is the option's value, answered by its range (not parseArgs' "ambiguous").
    [['--replicas', '-1'], /--replicas: found "-1", expected a whole number from 1 to 16/],
    // Given twice, refused as `billing` refuses it (parseArgs alone keeps the last).
    [['--replicas', '2', '--replicas', '3'], /--replicas is given 2 times \("2", "3"\); give it once \(usage: npm run dev/],
  ])('%j is refused in one line', (argv, message) => {
    expect(() => parseDevArgs(argv)).toThrow(message);
    try {
      parseDevArgs(argv);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('replica ports', () => {
  const { billing } = loadConfig({}, process.cwd());

  it("gives replica 1 billing.yaml's ports and each further replica its own, shifted by the step", () => {
    expect(replicaPorts(billing, 1)).toEqual({
      ipn: billing.ipn.port,
      api: billing.api.port,
      operations: billing.operations.port,
      temporalMetrics: billing.operations.temporalMetricsPort,
    });
    const second = replicaPorts(billing, 2);
    expect(second.operations).toBe(billing.operations.port + REPLICA_PORT_STEP);
    const all = [1, 2, 3, 4].flatMap((i) => Object.values(replicaPorts(billing, i)));
    expect(new Set(all).size).toBe(all.length);
  });

  it('leaves a port of 0 (any free port) at 0 for every replica', () => {
    expect(replicaPorts({ ...billing, api: { ...billing.api, port: 0 } }, 3).api).toBe(0);
  });
});
