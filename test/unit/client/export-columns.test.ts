// `billing export subscriptions`: the CSV carries every field of the JSON export (SubscriptionView),
// or the field is listed as deliberately left out (client/commands/export.ts SUBSCRIPTION_FIELDS_IN_CSV).
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_COLUMNS, SUBSCRIPTION_FIELDS_IN_CSV, subscriptionCells } from '../../../client/commands/export.js';
import { subscriptionView, type SubscriptionView } from '../../../client/subscriptions/views.js';
import type { SubscriptionRow } from '../../../db/schema/index.js';

/** A row with every column set (end by cycles); `overrides` for the other shapes. */
function fullRow(overrides: Partial<SubscriptionRow> = {}): SubscriptionRow {
  return {
    id: 'sub-1',
    workflowId: 'subscription-sub-1',
    chargePermissionId: 'S01-0000001-0000001',
    environment: 'sandbox',
    status: 'canceled',
    statusReason: 'BuyerClosed',
    amountMinor: 1400n,
    currency: 'USD',
    intervalUnit: 'month',
    intervalCount: 1,
    anchorLocal: '2026-01-15T09:00:00',
    anchorZone: 'America/New_York',
    anchorDayOfMonth: null,
    trial: { unit: 'day', count: 14 },
    endAfterCycles: 12,
    endAt: null,
    softDescriptor: 'SHOP*PLAN',
    merchantMetadata: { merchantStoreName: 'Shop' },
    firstChargeId: 'S01-0000001-0000001-C000001',
    permissionExpiresAt: new Date('2027-02-15T00:00:00Z'),
    currentCycle: 3,
    nextBillingAt: new Date('2026-04-15T13:00:00Z'),
    createdAt: new Date('2026-01-10T10:00:00Z'),
    updatedAt: new Date('2026-03-20T10:00:00Z'),
    endedAt: new Date('2026-03-20T10:00:00Z'),
    stopRequestedAt: new Date('2026-03-20T09:59:00Z'),
    stopRequestedReason: 'BuyerClosed',
    stopRequestedStatus: 'canceled',
    periodEndStopRequestedAt: new Date('2026-03-01T08:00:00Z'),
    periodEndStopReason: 'moving away',
    periodEndStopAfterCycle: 2,
    periodEndStopEndsAt: new Date('2026-03-15T13:00:00Z'),
    lastEventSequence: 7,
    account: null,
    ...overrides,
  };
}

/** The view's fields as dotted paths; an interval ({unit, count}) is one field. */
function fieldPaths(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const path = `${prefix}${key}`;
    const isInterval = v !== null && typeof v === 'object' && 'unit' in v && 'count' in v;
    return v !== null && typeof v === 'object' && !isInterval ? fieldPaths(v as object, `${path}.`) : [path];
  });
}

// The second: a replacement continuing a Jan 31 plan from Feb 28 (client/checkout/replace.ts), whose anchor keeps the 31st.
const views: SubscriptionView[] = [
  fullRow(),
  fullRow({ endAfterCycles: null, endAt: new Date('2027-01-01T00:00:00Z'), anchorLocal: '2026-02-28T09:00:00', anchorDayOfMonth: 31 }),
].map(subscriptionView);

describe('billing export subscriptions: CSV columns', () => {
  it('every field of the JSON export is a CSV column or deliberately left out (a new SubscriptionView field fails here until it is one or the other)', () => {
    const fields = [...new Set(views.flatMap((v) => fieldPaths(v)))].sort();
    const unlisted = fields.filter((f) => SUBSCRIPTION_FIELDS_IN_CSV[f] === undefined);
    expect(unlisted, 'fields of SubscriptionView neither exported as a CSV column nor listed as left out in SUBSCRIPTION_FIELDS_IN_CSV').toEqual([]);
    // And nothing listed that the view no longer has.
    expect(Object.keys(SUBSCRIPTION_FIELDS_IN_CSV).filter((f) => !fields.includes(f))).toEqual([]);
  });

  it('every column is claimed by a field, and each row has one cell per column', () => {
    const claimed = new Set(Object.values(SUBSCRIPTION_FIELDS_IN_CSV).flatMap((f) => ('columns' in f ? f.columns : [])));
    expect(SUBSCRIPTION_COLUMNS.filter((c) => !claimed.has(c))).toEqual([]);
    for (const view of views) expect(subscriptionCells(view)).toHaveLength(SUBSCRIPTION_COLUMNS.length);
  });

  it('the columns readers had keep their places; the new ones follow them', () => {
    expect(SUBSCRIPTION_COLUMNS.slice(0, 14)).toEqual([
      'id',
      'status',
      'status_reason',
      'charge_permission_id',
      'amount',
      'amount_minor',
      'currency',
      'interval',
      'anchor',
      'zone',
      'current_cycle',
      'next_billing_at',
      'created_at',
      'ended_at',
    ]);
    const cells = (view: SubscriptionView) => Object.fromEntries(SUBSCRIPTION_COLUMNS.map((c, i) => [c, subscriptionCells(view)[i]]));
    expect(cells(views[0]!)).toMatchObject({
      environment: 'sandbox',
      trial: '14 day',
      end_after_cycles: 12,
      end_at: null,
      first_charge_id: 'S01-0000001-0000001-C000001',
      stop_requested_at: '2026-03-20T09:59:00.000Z',
      stop_requested_reason: 'BuyerClosed',
      permission_expires_at: '2027-02-15T00:00:00.000Z',
      stop_at_period_end_at: '2026-03-01T08:00:00.000Z',
      stop_at_period_end_reason: 'moving away',
      stop_at_period_end_after_cycle: 2,
      stop_at_period_end_ends_at: '2026-03-15T13:00:00.000Z',
    });
    expect(cells(views[1]!)).toMatchObject({
      end_after_cycles: null,
      end_at: '2027-01-01T00:00:00.000Z',
      anchor: '2026-02-28T09:00:00',
      anchor_day_of_month: 31,
    });
    expect(cells(views[0]!)).toMatchObject({ anchor_day_of_month: null });
  });
});
