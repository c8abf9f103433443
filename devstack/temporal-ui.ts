// The Temporal Web UI for the self-hosted cluster: the same ui-server the CLI's dev server
// bundles (github.com/temporalio/ui-server/v2, its assets embedded), built by
// temporal-server-build.ts and run with a config file written here.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnManaged, waitUntilReady } from './managed-process.js';

export interface TemporalUi {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the UI server on ip:port against the frontend at `temporalAddress`; resolves once it serves its page. */
export async function startTemporalUi(options: {
  binary: string;
  configDir: string;
  ip: string;
  port: number;
  temporalAddress: string;
  namespace: string;
  onOutput?: (line: string) => void;
}): Promise<TemporalUi> {
  const dir = join(options.configDir, 'ui');
  await mkdir(join(dir, 'config'), { recursive: true });
  const config = {
    temporalGrpcAddress: options.temporalAddress,
    host: options.ip,
    port: options.port,
    enableUi: true,
    defaultNamespace: options.namespace,
    refreshInterval: '1m',
    // Offline: no calls home for a newer version.
    notifyOnNewVersion: false,
    // Plain http on loopback, as the dev server's UI.
    cors: { cookieInsecure: true, allowOrigins: [] },
  };
  await writeFile(join(dir, 'config', 'cluster.yaml'), `# Written by devstack/temporal-ui.ts; rewritten at every start.\n${stringify(config)}`);
  const managed = spawnManaged(
    options.binary,
    ['--root', dir, '--config', 'config', '--env', 'cluster', 'start'],
    options.onOutput ? { onOutput: options.onOutput } : {},
  );
  const url = `http://${options.ip}:${options.port}`;
  await waitUntilReady(managed, `Temporal UI server on ${url}`, () => serves(url), 60_000);
  return { url, stop: () => managed.stop(5_000) };
}

async function serves(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
