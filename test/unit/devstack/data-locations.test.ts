// `npm run dev` said "data stays in .data" even when root's PostgreSQL cluster lived under
// /var/tmp/amazon-pay-billing-postgres/ (a checkout the postgres user cannot enter), and when
// PostgreSQL or Temporal were external and kept nothing there. The line names each place as it is.
import { describe, expect, it } from 'vitest';
import { dataLocationLine } from '../../../devstack/data-locations.js';

describe('the dev stack says where its data stays', () => {
  it('names the relocated PostgreSQL cluster, and the link left in the checkout', () => {
    const line = dataLocationLine({
      temporalDbFile: '/root/repo/.data/temporal/temporal.sqlite',
      postgres: { dataDir: '/var/tmp/amazon-pay-billing-postgres/data-0123456789abcdef', requestedDir: '/root/repo/.data/postgres' },
      simulatorDir: '/root/repo/.data/sandbox',
    });
    expect(line).toBe(
      'Ctrl-C stops everything; data stays: Temporal in /root/repo/.data/temporal/temporal.sqlite; PostgreSQL in /var/tmp/amazon-pay-billing-postgres/data-0123456789abcdef (/root/repo/.data/postgres links there); the Amazon Pay simulator in /root/repo/.data/sandbox',
    );
  });

  it('names only what it started: an external PostgreSQL or Temporal keeps nothing in the data directory', () => {
    expect(dataLocationLine({ simulatorDir: '/srv/billing/.data/sandbox' })).toBe(
      'Ctrl-C stops everything; data stays: the Amazon Pay simulator in /srv/billing/.data/sandbox',
    );
    expect(dataLocationLine({ postgres: { dataDir: '/x/.data/postgres', requestedDir: '/x/.data/postgres' } })).toBe(
      'Ctrl-C stops everything; data stays: PostgreSQL in /x/.data/postgres',
    );
    expect(dataLocationLine({})).toMatch(/keeps no data of its own/);
  });
});
