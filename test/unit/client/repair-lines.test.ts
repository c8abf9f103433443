// What `billing repair` prints when it rebuilt what a database restore lost (client/commands/repair.ts).
import { describe, expect, it } from 'vitest';
import { resultLine } from '../../../client/commands/repair.js';

describe('billing repair: the lines of a restore from Temporal', () => {
  it('a row rebuilt from its workflow, with the ledger rows that came back', () => {
    expect(
      resultLine({
        subscriptionId: 'sub-2001',
        action: 'restored',
        workflowState: 'RUNNING',
        restored: {
          workflowId: 'subscription-sub-2001',
          status: 'active',
          statusReason: null,
          cycle: 1,
          nextBillingAt: '2026-12-03T09:00:00.000Z',
          createdAt: '2026-12-01T08:59:58.000Z',
          firstRunKept: true,
        },
        ledgerRowsRestored: [{ cycle: 0, attempt: 1, chargeId: 'S01-1-C1', state: 'Captured' }],
      }),
    ).toBe(
      'Restored sub-2001 from Temporal (its workflow ran without a row): status active, cycle 1, next billing 2026-12-03T09:00:00.000Z; created 2026-12-01T08:59:58.000Z (its first run)\n' +
        "sub-2001: 1 ledger row restored from its workflow's Temporal history (cycle 0 attempt 1 Captured S01-1-C1)\n",
    );
  });

  it('a running or finished subscription: only its ledger rows; nothing at all when none came back', () => {
    const rows = [
      { cycle: 1, attempt: 1, chargeId: 'S01-1-C2', state: 'Captured' },
      { cycle: 2, attempt: 1, chargeId: null, state: 'pending' },
    ];
    const line = "sub-1001: 2 ledger rows restored from its workflow's Temporal history (cycle 1 attempt 1 Captured S01-1-C2, cycle 2 attempt 1 pending)\n";
    expect(resultLine({ subscriptionId: 'sub-1001', action: 'running', workflowState: 'RUNNING', ledgerRowsRestored: rows })).toBe(line);
    expect(resultLine({ subscriptionId: 'sub-1001', action: 'finished', workflowState: 'COMPLETED', ledgerRowsRestored: rows })).toBe(line);
    expect(resultLine({ subscriptionId: 'sub-1001', action: 'running', workflowState: 'RUNNING' })).toBe(
      'sub-1001: its workflow is running; nothing to repair\n',
    );
  });

  it('plan changes put back: from which cycle, the amount with its currency and the interval', () => {
    expect(
      resultLine({
        subscriptionId: 'sub-1002',
        action: 'running',
        workflowState: 'RUNNING',
        planChangesRestored: [
          { fromCycle: 2, amountMinor: '450', currency: 'USD', interval: { unit: 'month', count: 2 } },
          { fromCycle: 4, currency: 'USD', interval: { unit: 'year', count: 1 } },
        ],
      }),
    ).toBe("sub-1002: 2 plan changes restored from its workflow's Temporal history (from cycle 2: 4.50 USD every 2 months; from cycle 4: every year)\n");
  });
});
