import type { AmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayOutcome } from '../amazonpay/outcomes.js';
import { permissionStatusOf } from '../ipn/reaction.js';
import type { ChargeUpdate, PermissionStatus } from '../workflows/types.js';
import { FailureTypes, isRetryable, nonRetryableFailure, retryableFailure } from './errors.js';
import { Context } from '@temporalio/activity';

/** Calls other than Create Charge, on their own rate-capped task queue. */
export function createAmazonActivities(deps: { amazonPay: AmazonPayClient }) {
  return {
    async getPermissionStatus({ chargePermissionId }: { chargePermissionId: string }): Promise<PermissionStatus> {
      const outcome = await deps.amazonPay.getChargePermission(chargePermissionId);
      if (outcome.kind === 'permission_state' && outcome.reasonCode === 'ResourceNotFound') return { state: 'NotFound', reasons: ['ResourceNotFound'] };
      // An undocumented state is treated as not chargeable: never charge on a guess.
      return permissionStatusOf(okOrThrow(outcome));
    },
    async getChargeStatus({ chargeId }: { chargeId: string }): Promise<ChargeUpdate> {
      const charge = okOrThrow(await deps.amazonPay.getCharge(chargeId));
      return { chargeId: charge.chargeId, state: charge.statusDetails.state, reasonCode: charge.statusDetails.reasonCode ?? null };
    },
    async closePermission({ chargePermissionId, reason }: { chargePermissionId: string; reason: string }): Promise<void> {
      const outcome = await deps.amazonPay.closeChargePermission(chargePermissionId, { closureReason: reason, cancelPendingCharges: false });
      // Already closed is the state we wanted.
      if (outcome.kind === 'permission_state' && outcome.reasonCode === 'InvalidChargePermissionStatus') return;
      okOrThrow(outcome);
    },
  };
}

function okOrThrow<T>(outcome: AmazonPayOutcome<T>): T {
  if (outcome.kind === 'ok') return outcome.body;
  if (isRetryable(outcome)) throw retryableFailure(outcome, Context.current().info.attempt);
  throw nonRetryableFailure(FailureTypes.invalidRequest, `${outcome.kind}: ${outcome.reasonCode} ${outcome.message}`, { requestId: outcome.requestId ?? null });
}
