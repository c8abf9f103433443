// `--temporal` and `--replicas` of npm run bench / chaos: accepted values and one-line refusals.
import { describe, expect, it } from 'vitest';
import { parseReplicasOption, parseReplicasPerTemporal, parseTemporalOption } from '../../../bench/topology.js';
import { UsageError } from '../../../bench/usage.js';

describe('--temporal', () => {
  it('accepts dev, cluster, and for npm run bench both in the order given', () => {
    expect(parseTemporalOption('dev', false)).toEqual(['dev']);
    expect(parseTemporalOption('cluster', false)).toEqual(['cluster']);
    expect(parseTemporalOption('dev,cluster', true)).toEqual(['dev', 'cluster']);
    expect(parseTemporalOption('cluster, dev', true)).toEqual(['cluster', 'dev']);
  });

  it.each([
    ['foo', true, '--temporal: expected dev, cluster, or both comma-separated (dev,cluster), got foo'],
    ['dev,dev', true, '--temporal: expected dev, cluster, or both comma-separated (dev,cluster), got dev,dev'],
    ['', true, '--temporal: expected dev, cluster, or both comma-separated (dev,cluster), got '],
    ['dev,cluster', false, '--temporal: expected dev or cluster, got dev,cluster'],
  ])('refuses %j (list: %s) in one line', (raw, list, message) => {
    expect(() => parseTemporalOption(raw, list)).toThrow(UsageError);
    expect(() => parseTemporalOption(raw, list)).toThrow(message);
  });
});

describe('--replicas', () => {
  it('accepts 1 to 16', () => {
    expect(parseReplicasOption('1')).toBe(1);
    expect(parseReplicasOption('2')).toBe(2);
    expect(parseReplicasOption('16')).toBe(16);
  });

  it.each(['0', '17', '1.5', '-1', 'two', ''])('refuses %j in one line', (raw) => {
    expect(() => parseReplicasOption(raw)).toThrow(UsageError);
    expect(() => parseReplicasOption(raw)).toThrow(`--replicas: expected a whole number from 1 to 16, got ${raw}`);
  });
});

describe('--replicas for each --temporal', () => {
  it('applies one count to every Temporal, or one count each in order', () => {
    expect(parseReplicasPerTemporal('2', ['dev', 'cluster'])).toEqual([2, 2]);
    expect(parseReplicasPerTemporal('1,2', ['dev', 'cluster'])).toEqual([1, 2]);
  });

  it('refuses a list of another length, and a bad count in it, in one line', () => {
    expect(() => parseReplicasPerTemporal('1,2', ['cluster'])).toThrow('--replicas: expected one count, or one per --temporal (1: cluster), got 1,2');
    expect(() => parseReplicasPerTemporal('1,0', ['dev', 'cluster'])).toThrow('--replicas: expected a whole number from 1 to 16, got 0');
  });
});
