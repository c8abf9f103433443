import type { Logger } from 'pino';
import { captureAuthorizedCharge, closePermission, readChargeUpdate, readPermissionStatus, type AmazonReadDeps } from '../amazonpay/reads.js';
import { money, toAmazonPrice } from '../billing/money.js';
import type { Database } from '../db/client.js';
import { recordPermissionExpiry } from '../db/queries/permissions.js';
import { softDescriptorOfCharge } from '../db/queries/subscriptions.js';
import type { ChargeUpdate, PermissionStatus } from '../workflows/types.js';
import { withReadFailures } from './errors.js';

/** The reads, and — when the worker has them (daemon/workers.ts always) — the database the answers' expiry is written to. */
export interface AmazonActivityDeps extends AmazonReadDeps {
  db?: Database;
  now?: () => Date;
  logger?: Logger;
}

/**
 * The subscription workflow's Amazon Pay calls other than Create Charge, on their own
 * rate-capped queue: the same reads the IPN reaction makes (amazonpay/reads.ts), so an answer
 * means the same to the workflow whoever asked, and every 429 is counted.
 */
export function createAmazonActivities(deps: AmazonActivityDeps) {
  return {
    /**
     * The Charge Permission's state (NotFound when Amazon Pay does not know it), with its
     * expirationTimestamp, which is also written to the live subscriptions on it
     * (db/queries/permissions.ts recordPermissionExpiry). A failed write is logged, not thrown:
     * the workflow's decision needs Amazon's answer, and the next read writes it again.
     */
    async getPermissionStatus({ chargePermissionId }: { chargePermissionId: string }): Promise<PermissionStatus> {
      const status = await withReadFailures(() => readPermissionStatus(deps, chargePermissionId));
      const { db, now } = deps;
      if (db && now && status.expiresAt !== undefined) {
        await recordPermissionExpiry(db, chargePermissionId, status.expiresAt, now()).catch((error: unknown) =>
          deps.logger?.warn({ chargePermissionId, err: (error as Error).message }, "could not write the Charge Permission's expiry to its subscriptions"),
        );
      }
      return status;
    },
    /** A pending charge's state, polled when no CHARGE IPN came. */
    async getChargeStatus({ chargeId }: { chargeId: string }): Promise<ChargeUpdate> {
      return withReadFailures(() => readChargeUpdate(deps, chargeId));
    },
    /**
     * Captures, in full, a charge authorized at checkout (the subscription's cycle 0), with the
     * subscription's softDescriptor as every charge of it carries (read from PostgreSQL: the
     * workflow records the charge in the ledger before it captures, and its input does not carry
     * the descriptor to this activity): its state afterwards (Captured, CaptureInitiated, or
     * Declined / Canceled when it can no longer be captured). Fails, to be retried, while the
     * capture did not happen and the charge is still Authorized.
     */
    async captureCharge({ chargeId, amountMinor, currency }: { chargeId: string; amountMinor: string; currency: string }): Promise<ChargeUpdate> {
      return withReadFailures(async () =>
        captureAuthorizedCharge(
          deps,
          chargeId,
          toAmazonPrice(money(BigInt(amountMinor), currency)),
          deps.db ? await softDescriptorOfCharge(deps.db, chargeId) : null,
        ),
      );
    },
    /** The final action cancel_and_close_permission; already closed succeeds. */
    async closePermission({ chargePermissionId, reason }: { chargePermissionId: string; reason: string }): Promise<void> {
      return withReadFailures(() => closePermission(deps, chargePermissionId, reason));
    },
  };
}
