import { beforeAll, describe, expect, it } from 'vitest';
import { typeErrors } from './typecheck-probe.js';

// Each activity stub is typed to the group of the task queue it sends to (workflows/queues.ts):
// an activity called through another queue's stub is refused by `npm run typecheck`.
const header = [
  "import { proxyLocal, proxyQueue } from './queues.js';",
  "const queues = { charges: 'charges', amazonReads: 'amazon-reads' };",
  "const options = { startToCloseTimeout: '1 minute' } as const;",
].join('\n');
const probe = (calls: string[]): string => `${header}\nexport async function probe(): Promise<void> {\n${calls.map((c) => `  await ${c};`).join('\n')}\n}\n`;

const allowed = [
  "proxyQueue('charges', queues, options).chargeCycle({} as never)",
  "proxyQueue('amazonReads', queues, options).getPermissionStatus({ chargePermissionId: 'S01-1234567-1234567' })",
  "proxyQueue('amazonReads', queues, options).reactToIpn({} as never)",
  "proxyQueue('workflows', {}, options).settleIpnInbox({ inboxId: '1', status: 'processed', note: null })",
  'proxyLocal(options).recordStatus({} as never)',
];
const refused: Array<[string, string, RegExp]> = [
  ['Create Charge on the amazon-reads queue', "proxyQueue('amazonReads', queues, options).chargeCycle({} as never)", /chargeCycle/],
  ['an Amazon Pay read on the charges queue', "proxyQueue('charges', queues, options).getPermissionStatus({ chargePermissionId: 'x' })", /getPermissionStatus/],
  ['an Amazon Pay read on the workflow queue', "proxyQueue('workflows', {}, options).getChargeStatus({ chargeId: 'x' })", /getChargeStatus/],
  ['a database write on the amazon-reads queue', "proxyQueue('amazonReads', queues, options).recordStatus({} as never)", /recordStatus/],
  ['an Amazon Pay call as a local activity', "proxyLocal(options).closePermission({ chargePermissionId: 'x', reason: 'y' })", /closePermission/],
  ['a stub of another queue without its queue name', "proxyQueue('charges', {}, options).chargeCycle({} as never)", /charges/],
];

describe('task-queue routing in the types', { timeout: 120_000 }, () => {
  let errors: Record<string, string[]>;
  beforeAll(() => {
    errors = typeErrors({
      'workflows/probe-allowed.ts': probe(allowed),
      ...Object.fromEntries(refused.map(([, call], i) => [`workflows/probe-refused-${i}.ts`, probe([call])])),
    });
  }, 120_000);

  it('accepts each activity on the queue whose worker registers it', () => {
    expect(errors['workflows/probe-allowed.ts']).toEqual([]);
  });

  it.each(refused.map(([what, , message], i) => [what, i, message] as const))('refuses %s', (_what, i, message) => {
    const found = errors[`workflows/probe-refused-${i}.ts`] ?? [];
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });
});
