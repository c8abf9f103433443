import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { Database } from '../db/client.js';
import { settleInboxRow } from '../db/queries/ipn-inbox.js';
import { reactToCharge, reactToPermission, type ReactionResult } from '../ipn/reaction.js';
import { reactToRefund } from '../ipn/refund-reaction.js';
import type { IpnHandlerInput } from '../workflows/ipn-types.js';
import { FailureTypes, nonRetryableFailure, withReadFailures } from './errors.js';
import type { ActivityMetrics } from './ipn-metrics.js';
import { isIpnObjectType, unreachable } from '../billing/vocabulary.js';

export interface IpnActivityDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  now: () => Date;
  temporal?: Client;
  logger?: Logger;
  metrics?: ActivityMetrics;
}

/** The IPN handler workflow's activities: the reaction (Amazon reads queue) and settling the inbox row. */
export function createIpnActivities(deps: IpnActivityDeps) {
  return {
    async reactToIpn(input: IpnHandlerInput): Promise<ReactionResult> {
      const temporal = deps.temporal;
      if (!temporal)
        throw nonRetryableFailure(FailureTypes.invalidRequest, 'this worker was built without a Temporal client; IPN reactions cannot signal workflows');
      const reaction = {
        db: deps.db,
        amazonPay: deps.amazonPay,
        temporal,
        now: deps.now,
        ...(deps.logger ? { logger: deps.logger.child({ requestId: input.messageId }) } : {}),
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      };
      const objectType = input.objectType;
      if (!isIpnObjectType(objectType)) return { status: 'ignored', summary: `object type ${objectType} needs no reaction` };
      // A failed Amazon Pay read fails the activity as it fails the workflows' own reads.
      return withReadFailures(async () => {
        switch (objectType) {
          case 'CHARGE_PERMISSION':
            if (!input.chargePermissionId) return { status: 'ignored', summary: 'a CHARGE_PERMISSION IPN without a ChargePermissionId needs no reaction' };
            return await reactToPermission(reaction, input.chargePermissionId);
          case 'CHARGE':
            return await reactToCharge(reaction, input.objectId);
          case 'REFUND':
            return await reactToRefund(reaction, input.objectId, input.chargePermissionId);
          default:
            return unreachable(objectType, 'IPN object type');
        }
      });
    },
    async settleIpnInbox(input: { inboxId: string; status: 'processed' | 'ignored' | 'failed'; note: string | null }): Promise<void> {
      await settleInboxRow(deps.db, BigInt(input.inboxId), input.status, input.note, deps.now());
      deps.metrics?.onIpnSettled(input.status);
      deps.logger?.info({ inboxId: input.inboxId, status: input.status, note: input.note }, 'ipn settled');
    },
  };
}
