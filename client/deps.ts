import type { Client } from '@temporalio/client';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayRegion } from '../amazonpay/config.js';
import type { BillingEnvironment } from '../billing/types.js';
import type { Database } from '../db/client.js';
import type { BillingPolicy } from '../workflows/types.js';

/**
 * What the admin library needs. Temporal and Amazon Pay are asked for lazily, so a command
 * that only reads the database (list, export, preview) works while those are unreachable.
 */
export interface BillingClientDeps {
  db: Database;
  temporal: () => Promise<Client>;
  amazonPay: () => AmazonPayClient;
  environment: BillingEnvironment;
  /** Amazon Pay region: decides the buyer's payment-method update link. Default na. */
  region?: AmazonPayRegion;
  taskQueues: { workflows: string; charges: string; amazonReads: string };
  /** The daemon's default billing policy (billing.yaml); a subscription may override parts of it. */
  policy: BillingPolicy;
  now: () => Date;
}
