import { GoBuildUnavailableError } from './go-build.js';
import { ensureTemporalCli } from './temporal-cli.js';

// `npm run temporal:cli`: prints the path of the pinned temporal CLI, building it if needed.
try {
  const path = await ensureTemporalCli({ onProgress: (line) => console.error(line) });
  console.log(path);
} catch (error) {
  if (error instanceof GoBuildUnavailableError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
