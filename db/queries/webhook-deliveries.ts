// webhook_deliveries and webhook_attempts: the dispatcher's claim and its record of each attempt
// (webhooks/dispatcher.ts), redelivery, and what `billing webhooks deliveries` shows.
import { sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';

export interface ClaimedDelivery {
  id: bigint;
  eventId: string;
  endpointId: string;
  /** This attempt's number (1 for the first); also the claim's fence with leaseUntil. */
  attempt: number;
  leaseUntil: Date;
  /** lease_until exactly as stored (microseconds; a Date keeps milliseconds): the claim's fence. */
  leaseToken: string;
  /** When the delivery was first made due (its first attempt, or its last redelivery). */
  createdAt: Date;
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints for `leaseMs`: the oldest due ones of
 * each endpoint, at most `perEndpoint` minus what this replica already has in flight to it
 * (`inFlight`), so one endpoint's backlog never takes the whole claim. FOR UPDATE SKIP LOCKED:
 * replicas claiming at once get different rows and never wait for each other. A claim moves
 * next_attempt_at to the lease's end, so a replica that dies mid-attempt (SIGKILL) leaves a row
 * that comes due again when its lease ends, and counts the attempt (a crash is not retried forever).
 */
export async function claimDueDeliveries(
  db: DatabaseOrTransaction,
  options: { limit: number; perEndpoint: number; inFlight: ReadonlyMap<string, number>; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const busyIds = [...options.inFlight.keys()];
  const busyCounts = busyIds.map((id) => options.inFlight.get(id) ?? 0);
  const rows = await db.execute<{
    id: string;
    event_id: string;
    endpoint_id: string;
    attempts: number;
    lease_until: string | Date;
    lease_token: string;
    created_at: string | Date;
  }>(sql`
    with busy as (
      select * from unnest(${sql.param(busyIds)}::text[], ${sql.param(busyCounts)}::int[]) as b(endpoint_id, in_flight)
    ),
    claimable as (
      select d.id, d.next_attempt_at from webhook_endpoints w
      cross join lateral (
        select d.id, d.next_attempt_at from webhook_deliveries d
        where d.endpoint_id = w.id and d.status = 'pending' and d.next_attempt_at <= now()
        order by d.next_attempt_at, d.id
        limit greatest(${options.perEndpoint} - coalesce((select in_flight from busy where busy.endpoint_id = w.id), 0), 0)
        for update of d skip locked
      ) d
      where w.status = 'enabled'
      order by d.next_attempt_at, d.id
      limit ${options.limit}
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1,
        lease_until = now() + ${options.leaseMs} * interval '1 millisecond',
        next_attempt_at = now() + ${options.leaseMs} * interval '1 millisecond'
    from claimable where d.id = claimable.id
    returning d.id::text as id, d.event_id, d.endpoint_id, d.attempts, d.lease_until, d.lease_until::text as lease_token, d.created_at`);
  return rows.map((r) => ({
    id: BigInt(r.id),
    eventId: r.event_id,
    endpointId: r.endpoint_id,
    attempt: Number(r.attempts),
    leaseUntil: new Date(r.lease_until),
    leaseToken: r.lease_token,
    createdAt: new Date(r.created_at),
  }));
}

export interface AttemptRecord {
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
  replica: string;
}

/** What an attempt leads to: delivered, another attempt at `nextAttemptAt`, or failed for good. */
export type DeliveryNext = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' };

/**
 * Records an attempt (always: it happened) and, if this replica still holds the claim (same
 * attempt number and lease), the delivery's next state. False when the claim was lost (the lease
 * ran out and another replica took the delivery over, or it was redelivered meanwhile).
 */
export async function recordDeliveryAttempt(tx: DatabaseOrTransaction, claim: ClaimedDelivery, attempt: AttemptRecord, next: DeliveryNext): Promise<boolean> {
  await tx.execute(sql`
    insert into webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, response_body, error, replica)
    values (${claim.id.toString()}::bigint, ${claim.attempt}, ${attempt.at.toISOString()}::timestamptz, ${attempt.statusCode}, ${attempt.latencyMs},
      ${attempt.responseBody}, ${attempt.error}, ${attempt.replica})`);
  const nextAttemptAt = next.status === 'pending' ? next.nextAttemptAt.toISOString() : null;
  const updated = await tx.execute(sql`
    update webhook_deliveries set
      status = ${next.status},
      lease_until = null,
      next_attempt_at = coalesce(${nextAttemptAt}::timestamptz, next_attempt_at),
      delivered_at = case when ${next.status} = 'delivered' then ${attempt.at.toISOString()}::timestamptz else delivered_at end,
      last_status_code = ${attempt.statusCode},
      last_error = ${attempt.error}
    where id = ${claim.id.toString()}::bigint and status = 'pending' and attempts = ${claim.attempt}
      and lease_until = ${claim.leaseToken}::timestamptz
    returning id`);
  return updated.length > 0;
}

/** Whether any delivery to the endpoint succeeded at or after `since`. */
export async function endpointDeliveredSince(db: DatabaseOrTransaction, endpointId: string, since: Date): Promise<boolean> {
  const rows = await db.execute(sql`
    select 1 from webhook_deliveries where endpoint_id = ${endpointId} and status = 'delivered' and delivered_at >= ${since.toISOString()}::timestamptz limit 1`);
  return rows.length > 0;
}

export interface AttemptView {
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
  deliveryStatus: string;
}

/** The endpoint's latest attempts, newest first (at most `limit`), with their event and delivery status. */
export async function listEndpointAttempts(db: DatabaseOrTransaction, endpointId: string, limit: number): Promise<AttemptView[]> {
  const rows = await db.execute<{
    delivery_id: string;
    event_id: string;
    type: string;
    attempt: number;
    at: string | Date;
    status_code: number | null;
    latency_ms: number;
    response_body: string | null;
    error: string | null;
    status: string;
  }>(sql`
    select d.id::text as delivery_id, d.event_id, e.type, a.attempt, a.at, a.status_code, a.latency_ms, a.response_body, a.error, d.status
    from webhook_deliveries d
    join webhook_attempts a on a.delivery_id = d.id
    join events e on e.id = d.event_id
    where d.endpoint_id = ${endpointId}
    order by a.at desc, a.id desc
    limit ${limit}`);
  return rows.map((r) => ({
    deliveryId: r.delivery_id,
    eventId: r.event_id,
    eventType: r.type,
    attempt: Number(r.attempt),
    at: new Date(r.at),
    statusCode: r.status_code === null ? null : Number(r.status_code),
    latencyMs: Number(r.latency_ms),
    responseBody: r.response_body,
    error: r.error,
    deliveryStatus: r.status,
  }));
}

/**
 * Makes deliveries due now, with a fresh retry schedule: of the events `where` selects, to every
 * enabled endpoint that takes their type (or only `endpointId`). A delivery already made is sent
 * again (same webhook-id); one being attempted right now is left to that attempt. Returns how many
 * events were selected and how many deliveries were scheduled for them.
 */
export async function scheduleRedelivery(
  db: DatabaseOrTransaction,
  events: { eventId: string } | { since: Date },
  endpointId: string | undefined,
): Promise<{ events: number; scheduled: number }> {
  const which = 'eventId' in events ? sql`e.id = ${events.eventId}` : sql`e.occurred_at >= ${events.since.toISOString()}::timestamptz`;
  const endpoint = endpointId === undefined ? sql`true` : sql`w.id = ${endpointId}`;
  // One statement: the events matched are counted too, so "nothing scheduled" can say whether there was nothing to send.
  const rows = await db.execute<{ events: number; scheduled: number }>(sql`
    with matched as (select e.id, e.type, e.account from events e where ${which}),
    scheduled as (
      insert into webhook_deliveries (event_id, endpoint_id)
      select m.id, w.id from matched m
      join webhook_endpoints w on w.status = 'enabled' and ${endpoint}
        and (w.event_types is null or m.type = any (w.event_types))
        and (w.account is null or w.account = m.account)
      on conflict (event_id, endpoint_id) do update set
        status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = null, created_at = now(),
        delivered_at = null, last_status_code = null, last_error = null
      where webhook_deliveries.status <> 'pending' or webhook_deliveries.lease_until is null or webhook_deliveries.lease_until < now()
      returning id
    )
    select (select count(*) from matched)::int as events, (select count(*) from scheduled)::int as scheduled`);
  return { events: Number(rows[0]?.events ?? 0), scheduled: Number(rows[0]?.scheduled ?? 0) };
}

/** Pending deliveries per enabled endpoint: how many, and the age of the oldest (seconds). */
export async function deliveryBacklog(db: DatabaseOrTransaction): Promise<Array<{ endpointId: string; pending: number; oldestAgeSeconds: number }>> {
  const rows = await db.execute<{ endpoint_id: string; pending: string; age: string | null }>(sql`
    select w.id as endpoint_id, count(d.id)::text as pending, extract(epoch from now() - min(d.created_at))::text as age
    from webhook_endpoints w
    left join webhook_deliveries d on d.endpoint_id = w.id and d.status = 'pending'
    where w.status = 'enabled'
    group by w.id`);
  return rows.map((r) => ({ endpointId: r.endpoint_id, pending: Number(r.pending), oldestAgeSeconds: r.age === null ? 0 : Math.max(0, Number(r.age)) }));
}
