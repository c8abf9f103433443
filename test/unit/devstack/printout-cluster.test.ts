// The dev printout names which Temporal runs, shows the CLI query where there is no Web UI
// (the cluster without its UI server), and lists every further daemon replica with its ports.
import { describe, expect, it } from 'vitest';
import { runningLines, type RunningDevStack } from '../../../devstack/printout.js';

const base: RunningDevStack = {
  temporalUiUrl: null,
  temporalAddress: '127.0.0.1:7233',
  temporalKind: 'Temporal server 1.29.1 on PostgreSQL',
  namespace: 'default',
  databaseUrl: 'postgres://billing:secret@127.0.0.1:54329/billing',
  embeddedPostgres: false,
  simulator: null,
  ipnUrl: 'http://127.0.0.1:8787/ipn',
  apiUrl: 'http://127.0.0.1:8788',
  storefrontUrl: 'http://127.0.0.1:8790',
  operationsUrl: 'http://127.0.0.1:9464',
  sdkMetricsAddress: null,
  data: { temporalDatabases: ['temporal', 'temporal_visibility'] },
};

describe('the dev printout with the Temporal cluster and replicas', () => {
  it('says which Temporal runs, and gives the CLI query when there is no Web UI', () => {
    const lines = runningLines(base);
    expect(lines).toContain('  Temporal frontend   127.0.0.1:7233 (namespace default; Temporal server 1.29.1 on PostgreSQL)');
    expect(lines).toContain(`  Workflows           temporal workflow list --address 127.0.0.1:7233 --namespace default --query 'BillingStatus="past_due"'`);
    expect(lines.at(-1)).toBe('Ctrl-C stops everything; data stays: Temporal in the PostgreSQL databases temporal and temporal_visibility');
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('leaves the CLI query out when the Web UI runs, and lists replicas 2..N with their own ports', () => {
    const lines = runningLines({
      ...base,
      temporalUiUrl: 'http://127.0.0.1:8233',
      replicas: [
        {
          name: 'dev-replica-2',
          ipnUrl: 'http://127.0.0.1:8887/ipn',
          apiUrl: 'http://127.0.0.1:8888',
          operationsUrl: 'http://127.0.0.1:9564',
          sdkMetricsAddress: '127.0.0.1:9565',
        },
        {
          name: 'dev-replica-3',
          ipnUrl: 'http://127.0.0.1:8987/ipn',
          apiUrl: 'http://127.0.0.1:8988',
          operationsUrl: 'http://127.0.0.1:9664',
          sdkMetricsAddress: null,
        },
      ],
    });
    expect(lines.some((line) => line.includes('temporal workflow list'))).toBe(false);
    expect(lines.filter((line) => line.startsWith('  Replica'))).toEqual([
      // docs/deploy.md says every port of a replica is in the printout, the SDK metrics' too (fresh review).
      '  Replica 2           operations http://127.0.0.1:9564, API http://127.0.0.1:8888/v1, IPN http://127.0.0.1:8887/ipn, Temporal SDK metrics http://127.0.0.1:9565/metrics',
      '  Replica 3           operations http://127.0.0.1:9664, API http://127.0.0.1:8988/v1, IPN http://127.0.0.1:8987/ipn',
    ]);
  });
});
