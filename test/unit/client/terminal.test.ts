// Stored text printed for people cannot drive the terminal; --json keeps it exact.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../client/cli.js';
import { fakeIo as fakeIoWith } from './support/fake-io.js';
import { escapeControls } from '../../../client/cli/terminal.js';
import { renderDetails } from '../../../client/commands/show.js';
import type { SubscriptionDetails } from '../../../client/subscriptions/read.js';

const ESC_TITLE = '\u001b]0;owned\u0007';
const CLEAR = '\u001b[2J';
const CSI_C1 = '\u009b31m';
const RLO = '\u202e';
/** Any of these reaching a terminal raw is a failure. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const fakeIo = (cwd: string): ReturnType<typeof fakeIoWith> => fakeIoWith({ cwd, stdoutIsTTY: true });

describe('control characters in human output', () => {
  it('escapes C0, DEL, C1, bidi overrides and line breaks visibly; keeps line breaks when asked', () => {
    expect(escapeControls(`a${ESC_TITLE}b`)).toBe('a\\u001b]0;owned\\u0007b');
    expect(escapeControls(`${CSI_C1}${RLO}x\u007f\r\t\n`)).toBe('\\u009b31m\\u202ex\\u007f\\r\\t\\n');
    expect(escapeControls('line 1\nline 2', { keepNewlines: true })).toBe('line 1\nline 2');
    expect(escapeControls('plain text, ü, €, 日本')).toBe('plain text, ü, €, 日本');
  });

  it('billing import prints a rejected row id and reason escaped; --json keeps them exact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'billing-terminal-'));
    try {
      const file = join(dir, 'rows.csv');
      const evilId = `x${ESC_TITLE}${CLEAR}`;
      await writeFile(
        file,
        ['id,charge_permission_id,amount,currency,interval,anchor', `${evilId},S01-1234567-1234567,14.00,USD,fortnight${CSI_C1},2026-01-01T00:00`].join('\n'),
      );
      const human = fakeIo(dir);
      expect(await runCli(['import', file], human)).toBe(1);
      expect(human.stdout).not.toMatch(RAW_CONTROL);
      expect(human.stdout).toContain('line 2 (x\\u001b]0;owned\\u0007\\u001b[2J): interval must be');
      const json = fakeIo(dir);
      expect(await runCli(['import', file, '--json'], json)).toBe(1);
      const parsed = JSON.parse(json.stdout) as { results: Array<{ id: string; reason: string }> };
      expect(parsed.results[0]?.id).toBe(evilId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an error naming stored or typed text is escaped on stderr', async () => {
    const io = fakeIo(resolve(import.meta.dirname, '../../..'));
    expect(await runCli([`frob${ESC_TITLE}${CSI_C1}${RLO}`], io)).toBe(2);
    expect(io.stderr).not.toMatch(RAW_CONTROL);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('billing show escapes a status reason, stop reason, refund reason and Amazon Pay reason code, line breaks included', () => {
    const reason = `buyer${ESC_TITLE}\nid      status  FAKE ROW${RLO}`;
    const details: SubscriptionDetails = {
      subscription: {
        id: 'sub-1',
        workflowId: 'subscription-sub-1',
        chargePermissionId: 'S01-1234567-1234567',
        environment: 'sandbox',
        status: 'paused',
        statusReason: reason,
        plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
        anchor: { localDateTime: '2026-01-01T00:00', zone: 'UTC' },
        trial: null,
        end: null,
        firstChargeId: null,
        currentCycle: 1,
        nextBillingAt: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        endedAt: null,
        stopRequested: { at: '2026-01-01T00:00:00.000Z', reason },
        stopAtPeriodEnd: { at: '2026-01-01T00:00:00.000Z', reason, afterCycle: 0, endsAt: null },
        permissionExpiresAt: null,
      },
      workflow: { workflowId: 'subscription-sub-1', status: 'RUNNING', live: null, note: `note${CLEAR}` },
      charges: [
        {
          cycle: 0,
          attempt: 1,
          idempotencyKey: 'k',
          amountMinor: '1400',
          currency: 'USD',
          chargeId: null,
          state: 'Refused',
          outcome: 'soft_decline',
          reasonCode: `Soft${CSI_C1}`,
          requestedAt: '2026-01-01T00:00:00.000Z',
          completedAt: null,
        },
      ],
      refunds: [
        {
          chargeId: 'S01-1234567-1234567-C000001',
          seq: 1,
          idempotencyKey: 'r',
          amountMinor: '100',
          currency: 'USD',
          refundId: null,
          state: 'pending',
          reasonCode: null,
          reason,
          requestedAt: '2026-01-01T00:00:00.000Z',
        },
      ],
      history: [{ at: '2026-01-01T00:00:00.000Z', fromStatus: 'active', toStatus: 'paused', reasonCode: reason, cycle: 1 }],
      paymentMethodUpdateUrl: null,
    };
    const text = renderDetails(details);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).not.toMatch(/^id {6}status {2}FAKE ROW/m);
    expect(text).toContain('paused (buyer\\u001b]0;owned\\u0007\\nid      status  FAKE ROW\\u202e)');
    expect(text).toMatch(/stop requested +at 2026-01-01[^\n]*\(buyer\\u001b\]0;owned/);
  });
});
