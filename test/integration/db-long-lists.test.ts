// Lists longer than PostgreSQL's 65,535 parameters per statement: the drift job passes every
// running subscription workflow's id, and past 65,535 the query failed the whole job (seen on the
// 100,000-subscription benchmark). Against a real PostgreSQL: the list goes in slices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastPermissionStates, recordPermissionCheck } from '../../db/queries/permissions.js';
import { insertSubscription, subscriptionWorkflowIds } from '../../db/queries/subscriptions.js';
import { MAX_ITEMS_PER_STATEMENT } from '../../db/queries/slices.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { monthlySubscriptionRow } from '../support/subscription-rows.js';

describe('queries over a list of 70,000 ids', () => {
  let database: TestDatabase;
  const ids = (prefix: string) => Array.from({ length: 70_000 }, (_, i) => `${prefix}-${i}`);
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('subscriptionWorkflowIds finds the rows among them (first, last, and across a slice boundary)', async () => {
    for (const id of ['long-0', `long-${MAX_ITEMS_PER_STATEMENT}`, 'long-69999']) await insertSubscription(database.db, monthlySubscriptionRow(id));
    const found = await subscriptionWorkflowIds(
      database.db,
      ids('long').map((id) => `subscription-${id}`),
    );
    expect([...found].sort()).toEqual(['subscription-long-0', `subscription-long-${MAX_ITEMS_PER_STATEMENT}`, 'subscription-long-69999'].sort());
    expect(await subscriptionWorkflowIds(database.db, [])).toEqual(new Set());
  });

  it('lastPermissionStates reads them all', async () => {
    await recordPermissionCheck(database.db, 'S01-long-65536', 'Chargeable', new Date('2026-12-01T00:00:00Z'));
    const states = await lastPermissionStates(database.db, ids('S01-long'));
    expect(states).toEqual(new Map([['S01-long-65536', 'Chargeable']]));
  });
});
