// The self-hosted Temporal server gets the dynamic config the dev server gets, except that the
// partition counts apply to the rate-capped queues only: a queue's rate cap is split among its
// partitions, so the charges queue must stay on one. Its static config keeps everything on loopback.
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readTemporalYaml } from '../../../config/temporal.js';
import {
  allClusterPorts,
  CLUSTER_PASSWORD_ENV,
  clusterConfigYaml,
  clusterDynamicConfigYaml,
  standardClusterPorts,
} from '../../../devstack/temporal-cluster-config.js';
import { clusterDatabases, serverComplaint } from '../../../devstack/temporal-cluster.js';

const yaml = readTemporalYaml(join(resolve(import.meta.dirname, '../../..'), 'temporal.yaml'));
type Entries = Record<string, { value: unknown; constraints: Record<string, string> }[]>;

describe('the Temporal cluster dynamic config', () => {
  const queues = [yaml.taskQueues.charges, yaml.taskQueues.amazonReads];
  const doc = parse(clusterDynamicConfigYaml(yaml.devServer.dynamicConfig, queues)) as Entries;

  it('puts the charges and Amazon-reads queues, and only them, on one partition', () => {
    for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
      expect(doc[key]).toEqual(queues.map((taskQueueName) => ({ value: 1, constraints: { taskQueueName } })));
    }
  });

  it('carries every other value of temporal.yaml devServer.dynamicConfig unconstrained, and the dev server built-ins the product relies on', () => {
    for (const [key, value] of Object.entries(yaml.devServer.dynamicConfig)) {
      if (key.startsWith('matching.numTaskqueue')) continue;
      expect(doc[key], key).toEqual([{ value, constraints: {} }]);
    }
    expect(doc['system.forceSearchAttributesCacheRefreshOnRead']).toEqual([{ value: true, constraints: {} }]);
    expect(doc['frontend.enableServerVersionCheck']).toEqual([{ value: false, constraints: {} }]);
  });

  it("applies the partition counts to every queue when asked ('all': the test suite's per-file queues)", () => {
    const all = parse(clusterDynamicConfigYaml(yaml.devServer.dynamicConfig, 'all')) as Entries;
    expect(all['matching.numTaskqueueReadPartitions']).toEqual([{ value: 1, constraints: {} }]);
  });
});

describe('the Temporal cluster static config', () => {
  const ports = standardClusterPorts(7233);
  const databases = clusterDatabases('postgres://billing:p%40ss%3Aword@127.0.0.1:54329/postgres', {
    persistence: 'temporal',
    visibility: 'temporal_visibility',
  });
  const text = clusterConfigYaml({ ip: '127.0.0.1', ports, databases, numHistoryShards: 4, logLevel: 'never', dynamicConfigFile: '/x/dc.yaml' });
  // What Temporal's loader does with a template: sprig's quote is Go's %q, JSON's quoting for this text.
  const rendered = text.replaceAll('{{ env "SQL_PASSWORD" | quote }}', JSON.stringify(databases.password));
  const config = parse(rendered) as {
    persistence: { numHistoryShards: number; datastores: Record<string, { sql: Record<string, unknown> }> };
    services: Record<string, { rpc: Record<string, unknown> }>;
    log: { level: string };
    dynamicConfigClient: { filepath: string };
  };

  it("uses Temporal's own port layout around the frontend, no port twice", () => {
    expect(ports).toMatchObject({ frontend: 7233, history: 7234, matching: 7235, worker: 7239, frontendHttp: 7243 });
    expect(ports.membership).toEqual({ frontend: 6933, history: 6934, matching: 6935, worker: 6939 });
    expect(new Set(allClusterPorts(ports)).size).toBe(allClusterPorts(ports).length);
  });

  it('binds all four services to the given IP and keeps persistence and visibility in two PostgreSQL databases (postgres12 plugin)', () => {
    expect(Object.keys(config.services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const service of Object.values(config.services)) expect(service.rpc['bindOnIP']).toBe('127.0.0.1');
    const stores = Object.values(config.persistence.datastores).map((s) => s.sql);
    expect(stores.map((s) => [s['pluginName'], s['databaseName'], s['connectAddr']])).toEqual([
      ['postgres12', 'temporal', '127.0.0.1:54329'],
      ['postgres12', 'temporal_visibility', '127.0.0.1:54329'],
    ]);
    // The URL's percent-encoded password, decoded, reaches the server through its environment only.
    expect(databases.password).toBe('p@ss:word');
    expect(stores.map((s) => s['password'])).toEqual(['p@ss:word', 'p@ss:word']);
    expect(config.persistence.numHistoryShards).toBe(4);
    expect(config.log.level).toBe('fatal');
    expect(config.dynamicConfigClient.filepath).toBe('/x/dc.yaml');
  });
});

describe('the database password and cluster.yaml', () => {
  it('is not in the file: a template (enable-template in the first 1 KB) reads it from $SQL_PASSWORD', () => {
    const databases = clusterDatabases('postgres://billing:s3cret-Pa55@127.0.0.1:5432/postgres', { persistence: 't', visibility: 'tv' });
    const text = clusterConfigYaml({
      ip: '127.0.0.1',
      ports: standardClusterPorts(7233),
      databases,
      numHistoryShards: 4,
      logLevel: 'info',
      dynamicConfigFile: '/x/dc.yaml',
    });
    expect(text).not.toContain('s3cret-Pa55');
    expect(text.slice(0, 1024)).toMatch(/^#.*enable-template/m);
    expect(text.match(/^\s+password: .*$/gm)?.map((line) => line.trim())).toEqual([
      'password: {{ env "SQL_PASSWORD" | quote }}',
      'password: {{ env "SQL_PASSWORD" | quote }}',
    ]);
    expect(CLUSTER_PASSWORD_ENV).toBe('SQL_PASSWORD');
  });
});

describe('what a failed Temporal server start says', () => {
  it("is the server's last fatal or error message, not its stack traces", () => {
    const output = [
      '{"level":"info","ts":"2026-11-30T10:52:24Z","msg":"starting"}',
      '{"level":"error","ts":"2026-11-30T10:52:24Z","msg":"Operation failed with internal error.","error":"pq: value \\"36013\\" is out of range for type smallint","stacktrace":"go.temporal.io/…"}',
      '{"level":"fatal","ts":"2026-11-30T10:52:24Z","msg":"unable to initialize membership heartbeats","error":"UpsertClusterMembership operation failed","stacktrace":"…"}',
      '{"level":"fatal","ts":"2026-11-30T10:52:24Z","msg":"cut off by the output wind',
    ].join('\n');
    expect(serverComplaint(output)).toBe('The server said: unable to initialize membership heartbeats: UpsertClusterMembership operation failed');
    expect(serverComplaint('panic: something plain\n')).toBe('Its last output: panic: something plain');
  });
});
