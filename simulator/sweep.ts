// Applies pending outcomes whose time has come on the (injectable) clock. Timers do the same
// in real time; this sweep makes an advanced test clock take effect on the next request.
import type { Engine } from './engine.js';
import { resolvePendingCharge } from './ops-charges.js';
import { resolveRefund } from './ops-refunds.js';
import { expireIfDue } from './checkout-session-store.js';

export function sweepDue(engine: Engine): void {
  const now = engine.nowMs();
  for (const charge of Object.values(engine.state.charges)) {
    if (charge.pendingResolveAt !== null && charge.pendingResolveAt <= now) resolvePendingCharge(engine, charge.chargeId);
  }
  for (const refund of Object.values(engine.state.refunds)) {
    if (refund.resolveAt !== null && refund.resolveAt <= now) resolveRefund(engine, refund.refundId);
  }
  for (const session of Object.values(engine.state.checkoutSessions)) expireIfDue(engine, session);
}
