// Where `npm run dev` keeps what it started, said as it is: the Temporal dev server's SQLite file
// (temporal.yaml devServer.dbFile, not necessarily under BILLING_DATA_DIR), the PostgreSQL cluster
// (under /var/tmp/amazon-pay-billing-postgres/ or BILLING_PG_SHARED_DIR when root's postgres user
// cannot enter the checkout, see postgres-access.ts) and the simulator's state. What was external
// (TEMPORAL_ADDRESS, DATABASE_URL, AMAZON_PAY_*) is not the dev stack's to keep.

/** Absolute paths of what the dev stack started; a service left out was external. */
export interface DevStackData {
  temporalDbFile?: string;
  /** The self-hosted Temporal server's databases (in the PostgreSQL below, or DATABASE_URL's server). */
  temporalDatabases?: readonly string[];
  /** Where the cluster really is, and where it was asked for (a symlink to it when they differ). */
  postgres?: { dataDir: string; requestedDir: string };
  simulatorDir?: string;
}

/** The closing line of the start-up printout: where each started service's data stays. */
export function dataLocationLine(data: DevStackData): string {
  const places: string[] = [];
  if (data.temporalDbFile) places.push(`Temporal in ${data.temporalDbFile}`);
  if (data.temporalDatabases) places.push(`Temporal in the PostgreSQL databases ${data.temporalDatabases.join(' and ')}`);
  if (data.postgres) {
    const { dataDir, requestedDir } = data.postgres;
    places.push(dataDir === requestedDir ? `PostgreSQL in ${dataDir}` : `PostgreSQL in ${dataDir} (${requestedDir} links there)`);
  }
  if (data.simulatorDir) places.push(`the Amazon Pay simulator in ${data.simulatorDir}`);
  if (places.length === 0) return 'Ctrl-C stops everything; Temporal, PostgreSQL and Amazon Pay are external, so the dev stack keeps no data of its own';
  return `Ctrl-C stops everything; data stays: ${places.join('; ')}`;
}
