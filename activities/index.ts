import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { Database } from '../db/client.js';
import { createAmazonActivities } from './amazon.js';
import { createChargeActivities } from './charges.js';
import { createIpnActivities } from './ipn.js';
import type { ActivityMetrics } from './ipn-metrics.js';
import { createLedgerActivities } from './ledger.js';
import { createScheduleActivities } from './schedule.js';

export interface ActivityDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  now: () => Date;
  /** Needed by the IPN reaction (signals and cancels subscription workflows); the daemon builds it. */
  temporal?: Client;
  logger?: Logger;
  metrics?: ActivityMetrics;
  /** Spaces this process's Create Charge calls (activities/call-spacer.ts). */
  spaceCalls?: () => Promise<void>;
}

/** All activities, closed over dependencies the worker builds once. Workflows import this file by type only. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createScheduleActivities(deps),
    ...createLedgerActivities(deps),
    ...createChargeActivities(deps),
    ...createAmazonActivities(deps),
    ...createIpnActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
