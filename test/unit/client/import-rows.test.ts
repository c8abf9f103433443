import { describe, expect, it } from 'vitest';
import { parseImportCsv } from '../../../client/cli/import-rows.js';
import { createProgress } from '../../../client/cli/progress.js';

const HEADER = 'id,charge_permission_id,amount,currency,interval,anchor,zone,end_after_cycles';

describe('CSV import rows', () => {
  it('turns good rows into start inputs and keeps the file line of each row', () => {
    const rows = parseImportCsv(
      [
        HEADER,
        'sub-1,S01-1234567-1234567,14.00,USD,month,2026-01-31T09:00,America/New_York,12',
        '',
        'sub-2,S01-1234567-7654321,500,JPY,2 weeks,2026-02-01T00:00,,',
      ].join('\n'),
    );
    expect(rows).toEqual([
      {
        line: 2,
        input: {
          id: 'sub-1',
          chargePermissionId: 'S01-1234567-1234567',
          plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
          anchor: { localDateTime: '2026-01-31T09:00', zone: 'America/New_York' },
          end: { afterCycles: 12 },
        },
      },
      {
        line: 4,
        input: {
          id: 'sub-2',
          chargePermissionId: 'S01-1234567-7654321',
          plan: { amountMinor: '500', currency: 'JPY', interval: { unit: 'week', count: 2 } },
          anchor: { localDateTime: '2026-02-01T00:00', zone: 'UTC' },
        },
      },
    ]);
  });

  it('reports a bad row with its reason and keeps the others', () => {
    const rows = parseImportCsv(
      [
        HEADER,
        'sub-1,S01-1234567-1234567,-3,USD,month,2026-01-31T09:00,UTC,',
        'sub-2,S01-1234567-1234567,3.00,USD,fortnight,2026-01-31T09:00,UTC,',
        'sub-3,S01-1234567-1234567,3.00,USD,month,2026-01-31T09:00,UTC,',
      ].join('\n'),
    );
    expect(rows.map((r) => [r.line, r.problem?.split(' ')[0]])).toEqual([
      [2, 'amount'],
      [3, 'interval'],
      [4, undefined],
    ]);
  });

  it('reports every bad row with its line, a wrong field count or a broken quote included, and still reads the rows after them', () => {
    const rows = parseImportCsv(
      [
        HEADER,
        'sub-1,S01-1234567-1234567,14.00,USD,month,2026-01-31T09:00,UTC',
        'sub-2,S01-1234567-1234567,14.00,USD,month,2026-01-31T09:00,UTC,12,extra',
        'sub-3,"S01-1234567-1234567"x,14.00,USD,month,2026-01-31T09:00,UTC,',
        'sub-4,"S01-1234567-1234567,14.00,USD,month,2026-01-31T09:00,UTC,',
        '',
        'sub-5,S01-1234567-1234567,14.00,usd,month,2026-01-31T09:00,UTC,',
      ].join('\r\n'),
    );
    expect(rows.map((r) => [r.line, r.id, r.problem ?? r.input?.plan.currency])).toEqual([
      [2, 'sub-1', 'row has 7 fields, the header has 8 (id, charge_permission_id, amount, currency, interval, anchor, zone, end_after_cycles)'],
      [3, 'sub-2', 'row has 9 fields, the header has 8 (id, charge_permission_id, amount, currency, interval, anchor, zone, end_after_cycles)'],
      [4, undefined, expect.stringMatching(/^row is not valid CSV \(a value cannot span lines\): Invalid Closing Quote/)],
      [5, undefined, expect.stringMatching(/^row is not valid CSV \(a value cannot span lines\): Quote Not Closed/)],
      [7, undefined, 'USD'],
    ]);
  });

  it('names every problem of a row at once, by column, and refuses end_after_cycles with end_at', () => {
    const header = 'id,charge_permission_id,amount,currency,interval,anchor,zone,end_after_cycles,end_at';
    const rows = parseImportCsv(
      [
        header,
        'bad id!,S01-123,14.00,JPY,fortnight,,Mars/Olympus,,',
        'sub-2,S01-1234567-1234567,14.00,USD,month,2026-01-31T09:00,UTC,12,2027-01-01T00:00:00Z',
      ].join('\n'),
    );
    expect(rows[0]?.problem?.split('; ').map((p) => p.split(' ')[0])).toEqual(['amount', 'interval', 'anchor', 'id', 'charge_permission_id', 'zone']);
    expect(rows[0]?.problem).toContain('anchor is empty (e.g. 2026-01-31T09:00)');
    expect(rows[1]?.problem).toBe('end_at is not taken together with end_after_cycles: give one of them');
  });

  it('reads a byte-order mark and a header with spaces or dashes', () => {
    const rows = parseImportCsv('\uFEFFID, Charge-Permission ID,amount,currency,interval,anchor\nsub-1,S01-1234567-1234567,500,JPY,month,2026-01-31T09:00\n');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.input?.plan).toEqual({ amountMinor: '500', currency: 'JPY', interval: { unit: 'month', count: 1 } });
  });

  it('refuses a file with missing or unknown columns as a whole, naming them', () => {
    expect(() => parseImportCsv('id,charge_permission_id,price\nsub-1,S01-1234567-1234567,1')).toThrow(
      /lacks column\(s\) currency, interval, anchor, amount and has unknown column\(s\) price/,
    );
  });
});

describe('progress', () => {
  it('writes plain lines when stderr is not a terminal, and a redrawn bar when it is', () => {
    const plain: string[] = [];
    const p = createProgress((t) => plain.push(t), false, 2, 'importing');
    p.tick(true);
    p.tick(false);
    p.done();
    expect(plain).toEqual(['importing: 1/2\n', 'importing: 2/2 (1 rejected)\n']);
    const tty: string[] = [];
    const bar = createProgress((t) => tty.push(t), true, 2, 'importing');
    bar.tick(true);
    bar.done();
    expect(tty[0]).toMatch(/^\rimporting \[#{15}\.{15}\] 1\/2$/);
    expect(tty[1]).toBe('\n');
  });
});
