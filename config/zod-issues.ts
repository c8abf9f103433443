import type { z } from 'zod';
import { showValue } from './errors.js';

/**
 * Turns zod issues into "key: found X, expected Y" lines. `input` is the raw object so
 * the message can quote the value that was actually given.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, secretKeys: ReadonlySet<string> = new Set()): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String);
    const key = path.join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const prefix = path.length > 0 ? `${key}.` : '';
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${prefix}${k}"`).join(', ')} (check the spelling; see the comments in the file for the accepted keys)`;
    }
    const found = secretKeys.has(path[path.length - 1] ?? '') ? '[redacted]' : showValue(valueAt(input, path));
    return `${key}: found ${found}, expected ${issue.message}`;
  });
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
