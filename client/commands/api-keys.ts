import { JSON_OPTION_HELP, str, type Command } from '../cli/command.js';
import { UsageError } from '../cli/errors.js';
import { table, toJson } from '../cli/format.js';
import { createApiKey, listApiKeys, MAX_NAME_LENGTH, revokeApiKey } from '../api-keys.js';

export const apiKeysCommand: Command = {
  name: 'api-keys',
  summary: 'create, list and revoke keys of the HTTP API (docs/api.md)',
  positionals: [1, 2],
  actions: ['create', 'list', 'revoke'],
  options: { name: { type: 'string' }, 'read-only': { type: 'boolean' } },
  help: `Usage: billing api-keys create --name <name> [--read-only] [--json]
       billing api-keys list [--json]
       billing api-keys revoke <key id> [--json]

A key is shown once, by create: store it in your backend's secret store. The daemon keeps only
its SHA-256, its first characters (the prefix, to recognise it), the name, the scope and when it
was created and last used. A read-only key may only GET; revoke stops a key at once.

Options:
  --name <name>                create only, required: 1-${MAX_NAME_LENGTH} printable characters, e.g. the backend using it
  --read-only                  create only: the key may only GET
${JSON_OPTION_HELP}

Examples:
  billing api-keys create --name magento-prod
  billing api-keys create --name reporting --read-only
  billing api-keys revoke key_3f9a0c2d4e5b6a71
`,
  async run(ctx, values, [action, id]) {
    const { deps } = await ctx.connect();
    if (action === 'create') {
      if (id !== undefined) throw new UsageError('billing api-keys create: takes no argument, only --name and --read-only');
      const name = str(values, 'name');
      if (name === undefined) throw new UsageError('billing api-keys create: --name is required (e.g. --name magento-prod)');
      const key = await createApiKey(deps, { name, readOnly: values['read-only'] === true });
      ctx.io.out(
        ctx.json
          ? toJson(key)
          : `Created API key ${key.id} "${key.name}" (${key.scope === 'read_only' ? 'read-only' : 'read-write'}):\n\n  ${key.secret}\n\nThis is the only time the key is shown. Send it as "Authorization: Bearer <key>".\n`,
      );
      return 0;
    }
    if (values.name !== undefined || values['read-only'] !== undefined)
      throw new UsageError(`billing api-keys ${action}: --name and --read-only belong to create`);
    if (action === 'list') {
      if (id !== undefined) throw new UsageError('billing api-keys list: takes no argument');
      const keys = await listApiKeys(deps);
      if (ctx.json) ctx.io.out(toJson(keys));
      else if (keys.length === 0) ctx.io.out('No API keys. Create one with `billing api-keys create --name <name>`.\n');
      else
        ctx.io.out(
          table(
            ['id', 'name', 'prefix', 'scope', 'created', 'last used', 'revoked'],
            keys.map((k) => [k.id, k.name, `${k.prefix}…`, k.scope, k.createdAt, k.lastUsedAt ?? '—', k.revokedAt ?? '—']),
          ),
        );
      return 0;
    }
    if (action === 'revoke') {
      if (id === undefined) throw new UsageError('billing api-keys revoke: name the key id (see `billing api-keys list`)');
      const key = await revokeApiKey(deps, id);
      ctx.io.out(ctx.json ? toJson(key) : `Revoked API key ${key.id} "${key.name}" (${key.prefix}…) at ${key.revokedAt}\n`);
      return 0;
    }
    throw new UsageError(`billing api-keys: unknown action ${JSON.stringify(action)}; use create, list or revoke`);
  },
};
