// What `npm run dev` prints once everything runs: where each part listens and where its data
// stays. README "Quickstart" shows it for the default settings (test/unit/devstack/readme-printout.test.ts).
import { maskUrlPassword } from '../config/redact-url.js';
import { dataLocationLine, type DevStackData } from './data-locations.js';
import type { ReplicaEndpoints } from './dev-replicas.js';
import { psqlCommand } from './embedded-postgres.js';

/** The running stack as the printout names it; a part left out (null) was external or is off. */
export interface RunningDevStack {
  temporalUiUrl: string | null;
  temporalAddress: string;
  /** Which Temporal the dev stack started ("dev server of temporal CLI 1.5.1", …); null: external. */
  temporalKind: string | null;
  namespace: string;
  /** Printed with its password masked. */
  databaseUrl: string;
  /** The dev stack started PostgreSQL itself: the psql line is printed. */
  embeddedPostgres: boolean;
  simulator: { url: string; controlUrl: string } | null;
  ipnUrl: string;
  apiUrl: string;
  /** The sample storefront (examples/storefront). */
  storefrontUrl: string;
  operationsUrl: string;
  /** host:port of the Temporal SDK's metrics; null: off. */
  sdkMetricsAddress: string | null;
  /** Replicas 2..N (`--replicas N`), each a process of its own; empty with one replica. */
  replicas?: readonly ReplicaEndpoints[];
  data: DevStackData;
}

/** The lines after start-up, without the "[dev] " prefix, in the order printed. */
export function runningLines(stack: RunningDevStack): string[] {
  return [
    'billing daemon running',
    ...(stack.temporalUiUrl ? [`  Temporal Web UI     ${stack.temporalUiUrl}`] : []),
    `  Temporal frontend   ${stack.temporalAddress} (namespace ${stack.namespace}${stack.temporalKind ? `; ${stack.temporalKind}` : ''})`,
    // No Web UI to look into: the same information through the CLI.
    ...(stack.temporalUiUrl
      ? []
      : [`  Workflows           temporal workflow list --address ${stack.temporalAddress} --namespace ${stack.namespace} --query 'BillingStatus="past_due"'`]),
    `  PostgreSQL          ${maskUrlPassword(stack.databaseUrl)}`,
    ...(stack.embeddedPostgres ? [`  psql                ${psqlCommand(Number(new URL(stack.databaseUrl).port))}`] : []),
    ...(stack.simulator ? [`  Amazon Pay sandbox  ${stack.simulator.url} (control API ${stack.simulator.controlUrl})`] : []),
    `  IPN endpoint        ${stack.ipnUrl}`,
    `  HTTP API            ${stack.apiUrl}/v1 (reference ${stack.apiUrl}/v1/docs; key: npx billing api-keys create --name dev)`,
    `  Billing dashboard   ${stack.apiUrl}/dashboard (asks for an API key; a read-only one is enough)`,
    `  Sample storefront   ${stack.storefrontUrl} (examples/storefront: plans, the Amazon Pay button, the return page)`,
    `  Operations          ${stack.operationsUrl}/healthz /readyz /metrics`,
    ...(stack.sdkMetricsAddress ? [`  Temporal SDK metrics http://${stack.sdkMetricsAddress}/metrics`] : []),
    // Replica 1 is the daemon above; the others are processes of their own.
    ...(stack.replicas ?? []).map(
      (replica, i) =>
        `  ${`Replica ${i + 2}`.padEnd(19)} operations ${replica.operationsUrl}, API ${replica.apiUrl}/v1, IPN ${replica.ipnUrl}` +
        (replica.sdkMetricsAddress ? `, Temporal SDK metrics http://${replica.sdkMetricsAddress}/metrics` : ''),
    ),
    dataLocationLine(stack.data),
  ];
}
