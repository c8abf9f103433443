// The webhook dispatcher, run in every daemon replica: fans new events out to deliveries
// (fanout.ts, one replica at a time) and makes the due deliveries (attempt.ts), each claimed by
// one replica with FOR UPDATE SKIP LOCKED and a lease. Woken at once by LISTEN/NOTIFY (events
// committed, deliveries scheduled), by a finished attempt (a slot is free), and every
// pollInterval (retries coming due, a missed notification). It never touches billing: it reads
// events and writes only webhook tables, on its own connections, so a dead or slow endpoint
// costs billing nothing.
import { inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import type { WebhookSettings } from '../config/billing.js';
import type { Database } from '../db/client.js';
import { claimDueDeliveries, type ClaimedDelivery } from '../db/queries/webhook-deliveries.js';
import { getWebhookEndpointRows } from '../db/queries/webhook-endpoints.js';
import { events, type EventRow } from '../db/schema/index.js';
import { attemptDelivery, type AttemptDeps } from './attempt.js';
import { DELIVERIES_CHANNEL, fanOutEvents } from './fanout.js';
import type { WebhookMetrics } from './metrics.js';

/** Channel the events trigger notifies (migration 0012). */
export const EVENTS_CHANNEL = 'billing_events';
/** Events fanned out per transaction. */
const FANOUT_BATCH = 500;
/** A claim outlives the request by this much: time to record the attempt after the timeout. */
const LEASE_MARGIN_MS = 10_000;

export interface WebhookDispatcherOptions {
  db: Database;
  /** For LISTEN (one connection of its own while running). */
  sql: postgres.Sql;
  settings: WebhookSettings;
  logger: Logger;
  /** Recorded with each attempt, e.g. host:pid. */
  replica: string;
  metrics?: WebhookMetrics;
  now?: () => Date;
  /** How long a claim holds; default requestTimeout + 10 s. Must exceed requestTimeout. */
  leaseMs?: number;
}

export interface WebhookDispatcher {
  /** Look for work now (tests, and the CLI's redeliver through NOTIFY). */
  wake(): void;
  /** Attempts in flight on this replica. */
  inFlight(): number;
  /** Stops claiming, waits for attempts in flight (each bounded by requestTimeout), stops listening. */
  stop(): Promise<void>;
}

export async function startWebhookDispatcher(options: WebhookDispatcherOptions): Promise<WebhookDispatcher> {
  const { db, settings, logger } = options;
  const leaseMs = options.leaseMs ?? settings.requestTimeout + LEASE_MARGIN_MS;
  if (leaseMs <= settings.requestTimeout)
    throw new Error(`webhook dispatcher: leaseMs (${leaseMs}) must exceed webhooks.requestTimeout (${settings.requestTimeout})`);
  const attemptDeps: AttemptDeps = {
    db,
    logger,
    metrics: options.metrics,
    replica: options.replica,
    now: options.now ?? (() => new Date()),
    retrySchedule: settings.retrySchedule,
    requestTimeoutMs: settings.requestTimeout,
  };
  const inFlight = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  let total = 0;
  let stopped = false;
  let running: Promise<void> | undefined;
  let wantFanout = true;
  let wantClaim = true;
  let failing = false;

  const wake = (fanout: boolean): void => {
    if (stopped) return;
    wantFanout ||= fanout;
    wantClaim = true;
    running ??= loop().finally(() => {
      running = undefined;
      if (wantClaim && !stopped) wake(false);
    });
  };

  async function loop(): Promise<void> {
    while (wantClaim && !stopped) {
      const fanout = wantFanout;
      wantFanout = false;
      wantClaim = false;
      try {
        if (fanout) for (let i = 0; i < 20 && (await fanOutEvents(db, { limit: FANOUT_BATCH })).events === FANOUT_BATCH; i += 1);
        await claimAndStart();
        if (failing) logger.info('webhook dispatcher: the database answers again');
        failing = false;
      } catch (error) {
        // PostgreSQL away: the next poll tries again; said once per outage, not every second.
        if (!failing) logger.warn({ err: (error as Error)?.message }, 'webhook dispatcher: cannot reach the database; retrying on the next poll');
        failing = true;
        return;
      }
    }
  }

  async function claimAndStart(): Promise<void> {
    const free = settings.concurrency - total;
    if (free <= 0) return;
    const claims = await claimDueDeliveries(db, { limit: free, perEndpoint: settings.perEndpointConcurrency, inFlight, leaseMs });
    if (claims.length === 0) return;
    const eventRows = await db
      .select()
      .from(events)
      .where(
        inArray(
          events.id,
          claims.map((c) => c.eventId),
        ),
      );
    const eventsById = new Map(eventRows.map((e) => [e.id, e]));
    const endpointsById = new Map((await getWebhookEndpointRows(db, [...new Set(claims.map((c) => c.endpointId))])).map((e) => [e.id, e]));
    for (const claim of claims) {
      const event = eventsById.get(claim.eventId);
      const endpoint = endpointsById.get(claim.endpointId);
      if (event && endpoint) start(claim, event, endpoint);
    }
  }

  function start(claim: ClaimedDelivery, event: EventRow, endpoint: Parameters<typeof attemptDelivery>[3]): void {
    total += 1;
    inFlight.set(claim.endpointId, (inFlight.get(claim.endpointId) ?? 0) + 1);
    const task = attemptDelivery(attemptDeps, claim, event, endpoint)
      .then(
        () => undefined,
        (error: unknown) => {
          // Recording failed (database away): the lease runs out and the delivery is attempted again.
          logger.warn({ endpointId: claim.endpointId, eventId: claim.eventId, err: (error as Error)?.message }, 'webhook attempt not recorded');
        },
      )
      .finally(() => {
        total -= 1;
        const left = (inFlight.get(claim.endpointId) ?? 1) - 1;
        if (left === 0) inFlight.delete(claim.endpointId);
        else inFlight.set(claim.endpointId, left);
        attempts.delete(task);
        wake(false);
      });
    attempts.add(task);
  }

  const listeners: Array<{ unlisten(): Promise<void> }> = [];
  for (const [channel, fanout] of [
    [EVENTS_CHANNEL, true],
    [DELIVERIES_CHANNEL, false],
  ] as const) {
    try {
      listeners.push(await options.sql.listen(channel, () => wake(fanout)));
    } catch (error) {
      logger.warn({ channel, err: (error as Error)?.message }, 'webhook dispatcher: LISTEN failed; relying on polling');
    }
  }
  const timer = setInterval(() => wake(true), settings.pollInterval);
  timer.unref();
  wake(true);

  return {
    wake: () => wake(true),
    inFlight: () => total,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await Promise.allSettled([...attempts]);
      await Promise.allSettled(listeners.map((l) => l.unlisten()));
    },
  };
}
