// The CLI's streams captured in memory, with sandbox credentials pointing nowhere: commands that
// need no service (help, preview, rejected input) still run.
import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import type { CliIo } from '../../../../client/cli/command.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../../../..');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

export function fakeIo(options: { env?: NodeJS.ProcessEnv; cwd?: string; stdoutIsTTY?: boolean } = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    stdoutIsTTY: options.stdoutIsTTY ?? false,
    stderrIsTTY: false,
    env: {
      DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      AMAZON_PAY_PUBLIC_KEY_ID: 'SANDBOX-ABCDEFGHIJKLMNOPQRSTUVWX',
      AMAZON_PAY_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      AMAZON_PAY_REGION: 'na',
      AMAZON_PAY_ENDPOINT: 'http://127.0.0.1:1',
      ...options.env,
    },
    cwd: options.cwd ?? PROJECT_ROOT,
  };
  return io;
}
