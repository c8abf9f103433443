import type { AmazonPayClient } from '../amazonpay/client.js';
import type { Database } from '../db/client.js';
import { createAmazonActivities } from './amazon.js';
import { createChargeActivities } from './charges.js';
import { createLedgerActivities } from './ledger.js';
import { createScheduleActivities } from './schedule.js';

export interface ActivityDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  now: () => Date;
}

/** All activities, closed over dependencies the worker builds once. Workflows import this file by type only. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createScheduleActivities(),
    ...createLedgerActivities(deps),
    ...createChargeActivities(deps),
    ...createAmazonActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
