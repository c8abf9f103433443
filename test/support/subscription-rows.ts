// A subscription row as the database tests insert it directly (no workflow): 14.00 USD monthly,
// sandbox, active, with the id's workflow id; each test changes what it is about.
import type { NewSubscriptionRow } from '../../db/schema/index.js';

export function monthlySubscriptionRow(id: string, overrides: Partial<NewSubscriptionRow> = {}): NewSubscriptionRow {
  return {
    id,
    workflowId: `subscription-${id}`,
    chargePermissionId: 'S01-1234567-1234567',
    environment: 'sandbox',
    status: 'active',
    amountMinor: 1400n,
    currency: 'USD',
    intervalUnit: 'month',
    intervalCount: 1,
    anchorLocal: '2026-03-01T09:00:00',
    anchorZone: 'UTC',
    ...overrides,
  };
}
