// Checkout Session lifecycle on the simulator's clock (amazon-pay-checkout reference §2.2): Open
// sessions become Canceled/Expired 24 hours after creation; after 30 days they are gone (404).
import { CHECKOUT_SESSION_LIFETIME_MS } from './render-checkout-session.js';
import { DAY_MS } from './timestamps.js';
import type { CheckoutSessionRecord } from './state.js';
import type { Engine } from './engine.js';

/** Sessions are deleted with their data after 30 days (§2.2); GET then answers 404 (assumption). */
const CHECKOUT_SESSION_RETENTION_MS = 30 * DAY_MS;

/** Cancels an Open session (buyer, Amazon, a decline, or expiry); `reported` is set for Expired only. */
export function cancelCheckoutSession(
  engine: Engine,
  session: CheckoutSessionRecord,
  reasonCode: 'BuyerCanceled' | 'Declined' | 'AmazonCanceled' | 'Expired',
  at = engine.nowMs(),
): void {
  session.state = 'Canceled';
  session.reasonCode = reasonCode;
  // The first Complete after a buyer cancel or a decline says CheckoutSessionCanceled; an expired
  // session answers InvalidCheckoutSessionStatus from the start (§5.3 simulator assumption).
  session.cancelReported = reasonCode === 'Expired';
  session.updatedAt = at;
  engine.save();
}

/** Applies the 24-hour expiry on the simulator's clock; called on every read and by the sweep. */
export function expireIfDue(engine: Engine, session: CheckoutSessionRecord): void {
  const expiresAt = session.createdAt + CHECKOUT_SESSION_LIFETIME_MS;
  if (session.state === 'Open' && engine.nowMs() >= expiresAt) cancelCheckoutSession(engine, session, 'Expired', expiresAt);
}

/** A stored session that has not passed its 30-day retention, with its expiry applied; else undefined. */
export function lookUpCheckoutSession(engine: Engine, id: string): CheckoutSessionRecord | undefined {
  const session = engine.state.checkoutSessions[id];
  if (!session || engine.nowMs() >= session.createdAt + CHECKOUT_SESSION_RETENTION_MS) return undefined;
  expireIfDue(engine, session);
  return session;
}
