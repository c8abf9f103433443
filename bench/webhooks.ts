// `npm run bench:webhooks`: events delivered per second by the webhook dispatcher (a PostgreSQL
// queue: fan-out under an advisory lock, claims with FOR UPDATE SKIP LOCKED and a lease) to a
// loopback receiver that answers 200 at once, with 1 and with 2 dispatcher processes. Its own
// embedded PostgreSQL; the events are appended in one transaction (as a billing day's burst
// arrives), and the clock runs from that commit to the last delivery. Prints the figures;
// nothing is asserted.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../config/command-line.js';
import { sql } from 'drizzle-orm';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../config/billing.js';
import { createDb } from '../db/client.js';
import { appendEvent } from '../db/queries/events.js';
import { migrateDatabase } from '../db/migrate.js';
import { removeEmbeddedPostgresData, startEmbeddedPostgres } from '../devstack/embedded-postgres.js';
import { freePort } from '../devstack/ports.js';
import { addWebhookEndpoint } from '../webhooks/endpoints.js';
import { asUsage, exitWithFailure } from './usage.js';
import { spawnWebhookDispatcher } from '../test/support/webhook-dispatcher-process.js';
import { addEndpointForAccount, insertEventSubscription } from '../test/support/webhook-events.js';

const HELP = `Usage: npm run bench:webhooks -- [--events n] [--per-endpoint n]

  --events n        events per run (default 3000)
  --per-endpoint n  webhooks.perEndpointConcurrency (default 16; billing.yaml's default is 4)
`;

async function main(): Promise<void> {
  const { values } = asUsage(() =>
    parseCommandLine({ options: { events: { type: 'string' }, 'per-endpoint': { type: 'string' }, help: { type: 'boolean' } } }),
  );
  if (values.help) return void process.stdout.write(HELP);
  const events = Number(values.events ?? 3000);
  const perEndpoint = Number(values['per-endpoint'] ?? 16);
  const settings: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, perEndpointConcurrency: perEndpoint, concurrency: Math.max(32, perEndpoint) };
  const workDir = await mkdtemp(join(tmpdir(), 'billing-bench-webhooks-'));
  const pg = await startEmbeddedPostgres({ dataDir: join(workDir, 'pgdata'), port: await freePort(), database: 'bench' });
  let received = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  try {
    await migrateDatabase(pg.url);
    const database = createDb(pg.url, { max: 4 });
    console.log(
      `bench:webhooks — ${events} events per run, 1 endpoint, perEndpointConcurrency ${perEndpoint}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
    );
    for (const dispatchers of [1, 2]) {
      const subscription = await insertEventSubscription(database.db, `bench${dispatchers}`);
      const endpoint = await addEndpointForAccount(database.db, subscription.account, (tx) => addWebhookEndpoint({ db: tx, now: () => new Date() }, { url }));
      const children = await Promise.all(
        Array.from({ length: dispatchers }, (_, i) => spawnWebhookDispatcher({ databaseUrl: pg.url, settings, replica: `bench-${dispatchers}-${i}` })),
      );
      received = 0;
      await database.db.transaction(async (tx) => {
        for (let i = 0; i < events; i += 1)
          await appendEvent(tx, { subscriptionId: subscription.id, type: 'charge.succeeded', occurredAt: new Date(), data: { cycle: i } });
      });
      const committed = performance.now();
      for (let waited = 0; received < events; waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (waited % 5000 === 0 && waited > 0) {
          const state = await database.db.execute(
            sql`select status, count(*)::int as n from webhook_deliveries where endpoint_id = ${endpoint.id} group by status`,
          );
          console.log(`  … ${received} received; deliveries: ${JSON.stringify(state)}`);
        }
      }
      const seconds = (performance.now() - committed) / 1000;
      await Promise.all(children.map((c) => c.kill('SIGTERM')));
      const byReplica = await database.db.execute<{ replica: string; n: string }>(sql`
        select a.replica, count(*)::text as n from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
        where d.endpoint_id = ${endpoint.id} group by a.replica order by a.replica`);
      const [dupes] = await database.db.execute<{ n: string }>(
        sql`select count(*)::text as n from webhook_deliveries where endpoint_id = ${endpoint.id} and attempts > 1`,
      );
      console.log(
        `${dispatchers} dispatcher${dispatchers === 1 ? ' ' : 's'}: ${events} events delivered in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s` +
          ` (attempts per replica: ${byReplica.map((r) => `${r.replica} ${r.n}`).join(', ')}; deliveries attempted more than once: ${dupes!.n}; receiver saw ${received})`,
      );
    }
    await database.close();
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await pg.stop();
    await removeEmbeddedPostgresData(join(workDir, 'pgdata'));
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => exitWithFailure('npm run bench:webhooks', error, 1));
