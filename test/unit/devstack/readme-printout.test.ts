// README's sample of the `npm run dev` printout stopped after the simulator's line: the IPN
// endpoint, the HTTP API, the operations and SDK metrics ports and where the data stays were
// missing. The sample must be what runningLines prints for the shipped settings.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devDatabaseUrl } from '../../../client/connect.js';
import { loadConfig } from '../../../config/index.js';
import { runningLines } from '../../../devstack/printout.js';
import { DEV_STOREFRONT_PORT } from '../../../devstack/storefront.js';
import { TEMPORAL_CLI_VERSION } from '../../../devstack/temporal-cli.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
const README = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
/** The checkout the README's sample was taken in. */
const SHOWN_ROOT = '/home/you/amazon-pay-billing';

describe('README: what npm run dev prints', () => {
  it('shows every line printed once the stack runs, in order, for the shipped temporal.yaml and billing.yaml', () => {
    const config = loadConfig({}, PROJECT_ROOT);
    const dev = config.temporal.devServer;
    const { ipn, api, operations } = config.billing;
    const expected = runningLines({
      temporalUiUrl: `http://${dev.ip}:${dev.uiPort}`,
      temporalAddress: `${dev.ip}:${dev.port}`,
      temporalKind: `dev server of temporal CLI ${TEMPORAL_CLI_VERSION}`,
      namespace: config.temporal.connection.namespace,
      databaseUrl: devDatabaseUrl({}),
      embeddedPostgres: true,
      simulator: { url: 'http://127.0.0.1:4010', controlUrl: 'http://127.0.0.1:4010/__sim' },
      ipnUrl: `http://${ipn.host}:${ipn.port}${ipn.path}`,
      apiUrl: `http://${api.host}:${api.port}`,
      storefrontUrl: `http://127.0.0.1:${DEV_STOREFRONT_PORT}`,
      operationsUrl: `http://${operations.host}:${operations.port}`,
      sdkMetricsAddress: `${operations.host}:${operations.temporalMetricsPort}`,
      data: {
        temporalDbFile: join(SHOWN_ROOT, dev.dbFile),
        postgres: { dataDir: join(SHOWN_ROOT, '.data/postgres'), requestedDir: join(SHOWN_ROOT, '.data/postgres') },
        simulatorDir: join(SHOWN_ROOT, '.data/sandbox'),
      },
    }).map((line) => `[dev] ${line}`);
    const sample = /\n\[dev\] billing daemon running\n[^`]*?```/.exec(README)?.[0];
    expect(sample, 'the sample in README').toBeDefined();
    expect(sample!.replace(/```$/, '').trim().split('\n')).toEqual(expected);
  });
});
