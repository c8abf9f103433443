// `npm run sandbox`: runs the Amazon Pay simulator until SIGINT/SIGTERM, then flushes the data file.
import { parseCliArgs, USAGE, UsageError } from './cli-args.js';
import { startSimulator } from './server.js';

async function main(): Promise<void> {
  let options;
  try {
    options = parseCliArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sim = await startSimulator(options);
  process.stdout.write(
    `Amazon Pay simulator listening on ${sim.url} (API: ${sim.url}/v2, ${sim.url}/sandbox/v2, ${sim.url}/live/v2)\n` +
      `Control API: ${sim.controlUrl}\n` +
      `Checkout: button script ${sim.url}/checkout.js, buyer page ${sim.url}/checkout/processing?amazonCheckoutSessionId=…\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping simulator\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`simulator failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
