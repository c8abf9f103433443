// Parses `npm run sandbox` flags (environment variables give defaults) into SimulatorOptions.
import { readFileSync } from 'node:fs';
import type { SimulatorOptions } from './server.js';

export const USAGE = `Usage: npm run sandbox -- [options]
  --port <n>                 listen port on 127.0.0.1 (default 4010; env SIM_PORT)
  --data-file <path>         persist all state as JSON here (env SIM_DATA_FILE)
  --ipn-url <url>            POST IPNs here (env SIM_IPN_URL)
  --throttle <table>         sandbox | live | off (default sandbox; env SIM_THROTTLE)
  --public-key <ID=path.pem> register a merchant public key (repeatable)
  --fault-500 <rate>         probability 0..1 of 500 before processing
  --fault-503 <rate>         probability 0..1 of 503 before processing
  --fault-reset <rate>       probability 0..1 of a destroyed connection
  --fault-lost <rate>        probability 0..1 that a committed response is lost
  --latency-ms <n>           fixed added latency per API request
  --max-future-skew-ms <n>   accept an x-amz-pay-date at most this far ahead of the clock (default 5000)
  --max-past-skew-ms <n>     accept an x-amz-pay-date at most this far behind the clock (default 900000)
  --seed <n>                 seed for fault and IPN randomness
  --help                     show this text`;

export class UsageError extends Error {}

function rate(flag: string, value: string): number {
  if (value.length > 20) throw new UsageError(`${flag} must be a number between 0 and 1, got ${value.length} characters`);
  const n = Number(value);
  if (!/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(value) || n < 0 || n > 1) throw new UsageError(`${flag} must be a number between 0 and 1, got "${value}"`);
  return n;
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): SimulatorOptions & { help?: boolean } {
  const options: SimulatorOptions & { help?: boolean } = { port: 4010, publicKeys: {}, faults: {} };
  const faults = options.faults!;
  const pending: Array<[string, string]> = [];
  if (env['SIM_PORT']) pending.push(['--port', env['SIM_PORT']]);
  if (env['SIM_DATA_FILE']) pending.push(['--data-file', env['SIM_DATA_FILE']]);
  if (env['SIM_IPN_URL']) pending.push(['--ipn-url', env['SIM_IPN_URL']]);
  if (env['SIM_THROTTLE']) pending.push(['--throttle', env['SIM_THROTTLE']]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      options.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    pending.push([flag, value]);
  }
  for (const [flag, value] of pending) {
    switch (flag) {
      case '--port':
        options.port = integer(flag, value, 0, 65535);
        break;
      case '--data-file':
        options.dataFile = value;
        break;
      case '--ipn-url':
        if (!/^https?:\/\//.test(value)) throw new UsageError(`--ipn-url must be an http(s) URL, got "${value}"`);
        options.ipn = { ...options.ipn, url: value };
        break;
      case '--throttle':
        if (value !== 'sandbox' && value !== 'live' && value !== 'off') throw new UsageError(`--throttle must be sandbox, live or off, got "${value}"`);
        options.throttle = { table: value };
        break;
      case '--public-key': {
        const sep = value.indexOf('=');
        if (sep <= 0) throw new UsageError(`--public-key must be ID=path.pem, got "${value}"`);
        const path = value.slice(sep + 1);
        try {
          options.publicKeys![value.slice(0, sep)] = readFileSync(path, 'utf8');
        } catch {
          throw new UsageError(`--public-key: cannot read ${path}`);
        }
        break;
      }
      case '--fault-500':
        faults.error500Rate = rate(flag, value);
        break;
      case '--fault-503':
        faults.error503Rate = rate(flag, value);
        break;
      case '--fault-reset':
        faults.connectionResetRate = rate(flag, value);
        break;
      case '--fault-lost':
        faults.responseLostRate = rate(flag, value);
        break;
      case '--latency-ms':
        faults.latencyFixedMs = integer(flag, value, 0, 60_000);
        break;
      case '--max-future-skew-ms':
        options.maxFutureSkewMs = integer(flag, value, 0, 24 * 3_600_000);
        break;
      case '--max-past-skew-ms':
        options.maxClockSkewMs = integer(flag, value, 0, 24 * 3_600_000);
        break;
      case '--seed':
        options.seed = integer(flag, value, 0, 2 ** 32 - 1);
        break;
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return options;
}
