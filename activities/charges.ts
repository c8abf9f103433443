import { Context } from '@temporalio/activity';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { Charge, CreateChargeRequest } from '../amazonpay/types.js';
import { chargeIdempotencyKey } from '../billing/keys.js';
import { money, toAmazonPrice } from '../billing/money.js';
import type { Database } from '../db/client.js';
import { completeCharge, insertPendingCharge } from '../db/queries/charges.js';
import { recordStatusChange } from './ledger.js';
import type { ChargeCycleInput, ChargeResult } from '../workflows/types.js';
import { FailureTypes, isRetryable, nonRetryableFailure, retryableFailure } from './errors.js';
import { isChargeStateIn, PAID_CHARGE_STATES } from '../billing/vocabulary.js';

export interface ChargeDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  now: () => Date;
  /** Waits for this process's next Create Charge slot (activities/call-spacer.ts); none: call at once. */
  spaceCalls?: () => Promise<void>;
  /** Prometheus hook (daemon/metrics.ts); lag = now − when the workflow first scheduled this charge (≈ its due time). */
  metrics?: { onChargeOutcome(kind: string, lagMs: number): void };
}


/**
 * Create Charge for one (subscription, cycle, attempt). The idempotency key is derived from
 * those, so every retry of this activity — after a 429, a 5xx, a timeout, a worker crash —
 * sends the same key and Amazon Pay replays instead of charging again.
 */
export function createChargeActivities(deps: ChargeDeps) {
  return {
    async chargeCycle(input: ChargeCycleInput): Promise<ChargeResult> {
      let idempotencyKey: string;
      let amountMinor: bigint;
      try {
        idempotencyKey = chargeIdempotencyKey(input);
        amountMinor = BigInt(input.amountMinor);
      } catch (error) {
        throw nonRetryableFailure(FailureTypes.invalidInput, (error as Error).message);
      }
      const key = { subscriptionId: input.subscriptionId, cycle: input.cycle, attempt: input.attempt };
      await insertPendingCharge(deps.db, { ...key, idempotencyKey, amountMinor, currency: input.currency });

      const body: CreateChargeRequest = {
        chargePermissionId: input.chargePermissionId,
        chargeAmount: toAmazonPrice(money(amountMinor, input.currency)),
        captureNow: true,
        canHandlePendingAuthorization: input.canHandlePendingAuthorization,
        ...(input.softDescriptor ? { softDescriptor: input.softDescriptor } : {}),
        merchantMetadata: { merchantReferenceId: `${input.subscriptionId}:${input.cycle}`, ...input.merchantMetadata },
      };
      await deps.spaceCalls?.();
      const outcome = await deps.amazonPay.createCharge(body, { idempotencyKey });
      deps.metrics?.onChargeOutcome(outcome.kind, deps.now().getTime() - Context.current().info.scheduledTimestampMs);
      if (isRetryable(outcome)) {
        await completeCharge(deps.db, key, {
          state: 'pending',
          outcome: outcome.kind,
          chargeId: null,
          reasonCode: outcome.reasonCode ?? null,
          amazonRequestId: outcome.requestId ?? null,
          completedAt: deps.now(),
        });
        throw retryableFailure(outcome, Context.current().info.attempt);
      }

      if (outcome.kind === 'ok') {
        const charge: Charge = outcome.body;
        const state = charge.statusDetails.state;
        try {
          await completeCharge(deps.db, key, { state, outcome: 'ok', chargeId: charge.chargeId, reasonCode: charge.statusDetails.reasonCode ?? null, amazonRequestId: outcome.requestId ?? null, completedAt: deps.now() });
        } catch (error) {
          if (isUniqueViolation(error)) {
            throw nonRetryableFailure(FailureTypes.duplicateCharge, `cycle ${input.cycle} of ${input.subscriptionId} already has a successful charge; Amazon Pay returned another (${charge.chargeId})`, { chargeId: charge.chargeId });
          }
          throw error;
        }
        if (isChargeStateIn(state, PAID_CHARGE_STATES)) {
          // The subscription moves on with its ledger row; a retry rewrites the same values.
          if (input.onPaid) await recordStatusChange(deps.db, input.onPaid, deps.now());
          return { kind: 'charged', chargeId: charge.chargeId, state: state as 'Captured' | 'Authorized' | 'CaptureInitiated', requestId: outcome.requestId ?? null, statusRecorded: input.onPaid !== undefined };
        }
        if (state === 'AuthorizationInitiated') return { kind: 'pending', chargeId: charge.chargeId, state: 'AuthorizationInitiated', requestId: outcome.requestId ?? null };
        // A 201 with a Declined/Canceled charge is not documented; treat it like a soft decline.
        return { kind: 'soft_decline', reasonCode: charge.statusDetails.reasonCode ?? state, message: `charge ${charge.chargeId} is ${state}`, requestId: outcome.requestId ?? null };
      }

      await completeCharge(deps.db, key, {
        state: outcome.kind === 'invalid_request' ? 'failed' : 'Declined',
        outcome: outcome.kind,
        chargeId: null,
        reasonCode: outcome.reasonCode,
        amazonRequestId: outcome.requestId ?? null,
        completedAt: deps.now(),
      });
      return { kind: outcome.kind, reasonCode: outcome.reasonCode, message: outcome.message, requestId: outcome.requestId ?? null };
    },
  };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ((error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505');
}
