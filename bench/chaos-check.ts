// The fault suite's invariants, checked at the end from the simulator's ledger, PostgreSQL and
// Temporal: every due (subscription, cycle) charged exactly once, nothing charged after its
// Charge Permission closed, every charge recorded with its ChargeId, every workflow in the
// state the database says.
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { LedgerEntry } from '../simulator/control-client.js';
import type { AttemptRecord } from '../simulator/state.js';

export interface ChaosSubscription {
  id: string;
  workflowId: string;
  chargePermissionId: string;
  /** Due instants of cycles 0..cycles-1 (ms). */
  dueAtMs: number[];
  /** When the buyer closed the Charge Permission, if they did. */
  closedAtMs?: number;
}

export interface ChaosCheck {
  subscriptions: number;
  closed: number;
  chargesMade: number;
  /** Simulator charges beyond one per (subscription, cycle). */
  duplicates: number;
  /** Cycles of open subscriptions with no charge. */
  misses: number;
  chargesAfterClose: number;
  /**
   * Create Charge attempts on a Charge Permission after its buyer closed it, whatever Amazon
   * answered: the simulator refuses them (as Amazon does), so charges alone cannot show a daemon
   * that keeps trying. Until the daemon has handled the close's IPN it cannot know; after that,
   * any attempt under a new idempotency key is a violation (attemptsAfterCancel).
   */
  attemptsAfterClose: number;
  attemptsAfterCancel: number;
  /**
   * How each closed subscription ended: cancelled by the IPN reaction, canceled by the workflow's
   * own permission check after a refused charge, or by its term when the close came after its last cycle.
   */
  closedBy: { ipnReaction: number; ownCheck: number; term: number };
  /** Simulator charges with no ledger row carrying their ChargeId. */
  unrecorded: number;
  /** Workflows not closed, or closed in a state the database does not show. */
  stateMismatches: number;
  /** Closed Charge Permissions whose IPN never reached the inbox or was not processed, plus IPNs the simulator still holds. */
  ipnLost: number;
  /** Closed subscriptions whose later cycles were (rightly) not charged. */
  cyclesNotChargedAfterClose: number;
  violations: string[];
}

export async function checkChaosInvariants(input: {
  subs: readonly ChaosSubscription[];
  ledger: readonly LedgerEntry[];
  /** The simulator's Create Charge attempts (GET /__sim/attempts). */
  attempts: readonly AttemptRecord[];
  db: Database;
  client: Client;
  ipnPending: number;
}): Promise<ChaosCheck> {
  const violations: string[] = [];
  const byCp = new Map<string, LedgerEntry[]>();
  for (const c of input.ledger) byCp.set(c.chargePermissionId, [...(byCp.get(c.chargePermissionId) ?? []), c]);
  const rows = [
    ...(await input.db.execute<{ subscription_id: string; cycle: number; charge_id: string | null; state: string }>(
      sql`select subscription_id, cycle, charge_id, state from charges where charge_id is not null`,
    )),
  ];
  const cycleOfCharge = new Map(rows.map((r) => [r.charge_id as string, { sub: r.subscription_id, cycle: r.cycle, state: r.state }]));
  const statusRows = [...(await input.db.execute<{ id: string; status: string }>(sql`select id, status from subscriptions`))];
  const dbStatus = new Map(statusRows.map((r) => [r.id, r.status]));

  const inbox = [
    ...(await input.db.execute<{ charge_permission_id: string | null; status: string; processed_at: string | null }>(
      sql`select charge_permission_id, status, processed_at from ipn_inbox where object_type = 'CHARGE_PERMISSION'`,
    )),
  ];
  const handledIpn = new Set(inbox.filter((r) => r.status === 'processed' || r.status === 'ignored').map((r) => r.charge_permission_id));
  // When the daemon had told the subscriptions: the first processed row of the permission.
  const cancelledAtMs = new Map<string, number>();
  for (const r of inbox) {
    if (r.status !== 'processed' || !r.charge_permission_id || !r.processed_at) continue;
    const at = Date.parse(r.processed_at);
    cancelledAtMs.set(r.charge_permission_id, Math.min(at, cancelledAtMs.get(r.charge_permission_id) ?? at));
  }
  const attemptsByCp = new Map<string, AttemptRecord[]>();
  for (const a of input.attempts) if (a.chargePermissionId) attemptsByCp.set(a.chargePermissionId, [...(attemptsByCp.get(a.chargePermissionId) ?? []), a]);
  let attemptsAfterClose = 0;
  let attemptsAfterCancel = 0;
  const closedBy = { ipnReaction: 0, ownCheck: 0, term: 0 };
  let ipnLost = input.ipnPending;
  if (input.ipnPending > 0) violations.push(`the simulator still holds ${input.ipnPending} undelivered IPNs`);
  let duplicates = 0;
  let misses = 0;
  let chargesAfterClose = 0;
  let unrecorded = 0;
  let stateMismatches = 0;
  let notChargedAfterClose = 0;
  let chargesMade = 0;
  for (const sub of input.subs) {
    const charges = byCp.get(sub.chargePermissionId) ?? [];
    chargesMade += charges.length;
    const cycles = new Map<number, number>();
    for (const c of charges) {
      const recorded = cycleOfCharge.get(c.chargeId);
      if (!recorded || recorded.sub !== sub.id) {
        unrecorded += 1;
        violations.push(`${sub.id}: charge ${c.chargeId} (${c.createdAt}) has no ledger row with its ChargeId`);
        continue;
      }
      cycles.set(recorded.cycle, (cycles.get(recorded.cycle) ?? 0) + 1);
      if (sub.closedAtMs !== undefined && Date.parse(c.createdAt) > sub.closedAtMs) {
        chargesAfterClose += 1;
        violations.push(`${sub.id}: charge ${c.chargeId} at ${c.createdAt} after the Charge Permission closed at ${new Date(sub.closedAtMs).toISOString()}`);
      }
    }
    // Unrecorded charges count as duplicates too: the ledger can hold one success per cycle.
    const extra = charges.length - cycles.size;
    if (extra > 0) {
      duplicates += extra;
      violations.push(`${sub.id}: ${charges.length} charges for ${cycles.size} cycles`);
    }
    for (let cycle = 0; cycle < sub.dueAtMs.length; cycle++) {
      if (cycles.has(cycle)) continue;
      if (sub.closedAtMs !== undefined) notChargedAfterClose += 1;
      else {
        misses += 1;
        violations.push(`${sub.id}: cycle ${cycle} (due ${new Date(sub.dueAtMs[cycle] ?? 0).toISOString()}) was never charged`);
      }
    }

    // Closed while cycles were still due: the subscription must end canceled — by the IPN
    // reaction (workflow CANCELLED) or by its own permission check after a refused charge
    // (workflow COMPLETED as canceled; its IPN then finds nothing to do) — never by its term.
    const closedWhileDue = sub.closedAtMs !== undefined && sub.closedAtMs < (sub.dueAtMs[sub.dueAtMs.length - 1] ?? 0);
    if (sub.closedAtMs !== undefined) {
      const cancelledAt = cancelledAtMs.get(sub.chargePermissionId);
      // A retry of a charge begun before the daemon knew (same idempotency key: the same charge,
      // which the workflow lets finish so its outcome is recorded) is not a new attempt.
      const firstSeen = new Map<string, number>();
      for (const a of attemptsByCp.get(sub.chargePermissionId) ?? []) {
        if (a.idempotencyKey !== null && !firstSeen.has(a.idempotencyKey)) firstSeen.set(a.idempotencyKey, a.at);
      }
      for (const a of attemptsByCp.get(sub.chargePermissionId) ?? []) {
        if (a.at <= sub.closedAtMs) continue;
        attemptsAfterClose += 1;
        const begunAt = a.idempotencyKey === null ? a.at : (firstSeen.get(a.idempotencyKey) ?? a.at);
        if (cancelledAt !== undefined && begunAt > cancelledAt) {
          attemptsAfterCancel += 1;
          violations.push(
            `${sub.id}: Create Charge attempt at ${new Date(a.at).toISOString()} (${a.outcome}) after the daemon handled the close at ${new Date(cancelledAt).toISOString()}`,
          );
        }
      }
      if (!handledIpn.has(sub.chargePermissionId)) {
        ipnLost += 1;
        violations.push(`${sub.id}: no handled CHARGE_PERMISSION IPN in the inbox for ${sub.chargePermissionId}`);
      }
    }
    const status = dbStatus.get(sub.id);
    const handle = input.client.workflow.getHandle(sub.workflowId);
    const description = await handle.describe();
    const expected = sub.closedAtMs === undefined ? ['ended'] : closedWhileDue ? ['canceled'] : ['canceled', 'ended'];
    // The IPN reaction cancels the workflow (CANCELLED, database 'canceled'); a term that ran out
    // completes it with its status as the result.
    const name = description.status.name;
    if (name === 'CANCELLED') {
      if (sub.closedAtMs !== undefined && status === 'canceled') closedBy.ipnReaction += 1;
      if (sub.closedAtMs === undefined || status !== 'canceled') {
        stateMismatches += 1;
        violations.push(
          `${sub.id}: workflow CANCELLED, database says ${status}${sub.closedAtMs === undefined ? ', and its Charge Permission was never closed' : ''}`,
        );
      }
    } else if (name !== 'COMPLETED') {
      stateMismatches += 1;
      violations.push(`${sub.id}: workflow is ${name}, database says ${status}`);
    } else {
      const result = (await handle.result()) as { status: string };
      if (sub.closedAtMs !== undefined) closedBy[result.status === 'canceled' ? 'ownCheck' : 'term'] += 1;
      if (result.status !== status || !expected.includes(result.status)) {
        stateMismatches += 1;
        violations.push(`${sub.id}: workflow ended ${result.status}, database says ${status}, expected ${expected.join(' or ')}`);
      }
    }
  }
  return {
    subscriptions: input.subs.length,
    closed: input.subs.filter((s) => s.closedAtMs !== undefined).length,
    chargesMade,
    duplicates,
    misses,
    chargesAfterClose,
    attemptsAfterClose,
    attemptsAfterCancel,
    closedBy,
    unrecorded,
    stateMismatches,
    ipnLost,
    cyclesNotChargedAfterClose: notChargedAfterClose,
    violations,
  };
}
