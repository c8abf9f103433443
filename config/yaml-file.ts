import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, showValue } from './errors.js';
import { describeIssues } from './zod-issues.js';

/** Parses YAML text against a schema; every problem becomes one line of a single ConfigError. */
export function parseYamlSettings<S extends z.ZodType>(schema: S, text: string, source: string, secretKeys?: ReadonlySet<string>): z.output<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError(source, [`not valid YAML${where}: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(source, [`expected a mapping of settings, found ${showValue(raw)}`]);
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues, raw, secretKeys));
  return result.data;
}

/** The file's text; a missing file reads as an empty mapping (all defaults). */
export function readSettingsFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '{}';
    throw new ConfigError(path, [`cannot be read (${code ?? 'unknown error'})`]);
  }
}
