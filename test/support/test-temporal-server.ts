import { join } from 'node:path';
import { readTemporalYaml } from '../../config/temporal.js';
import { freePort } from '../../devstack/ports.js';
import { startTemporalDevServer, type DevServer } from '../../devstack/temporal-dev-server.js';

/**
 * The dev server tests and the replay recorder run against: in memory, headless unless asked, the project's
 * search attributes and dynamic config, and continue-as-new suggested after 200 events so long
 * runs exercise it. One place, so recorded histories come from the server the suite uses.
 */
export async function startTestTemporalServer(cliPath: string, options: { webUi?: boolean } = {}): Promise<DevServer> {
  const yaml = readTemporalYaml(join(process.cwd(), 'temporal.yaml'));
  return startTemporalDevServer({
    cliPath,
    dbFile: null,
    ip: '127.0.0.1',
    port: await freePort(),
    // The Web UI only where links into it are tested (the suite's server); the recorder stays headless.
    uiPort: options.webUi ? await freePort() : null,
    namespace: 'default',
    logLevel: 'error',
    searchAttributes: yaml.devServer.searchAttributes,
    dynamicConfig: { ...yaml.devServer.dynamicConfig, 'limit.historyCount.suggestContinueAsNew': 200 },
  });
}
