import { loadConfig, ConfigError } from '../config/index.js';
import { migrateDatabase } from './migrate.js';

// `npm run db:migrate`: applies migrations to DATABASE_URL (the daemon also does it at start-up).
try {
  const config = loadConfig();
  if (!config.database.url) {
    console.error('DATABASE_URL is not set. `npm run dev` migrates its embedded PostgreSQL itself; set DATABASE_URL to migrate an external database.');
    process.exit(2);
  }
  await migrateDatabase(config.database.url);
  console.log('Migrations applied.');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`Migration failed: ${(error as Error).message}`);
  process.exit(1);
}
