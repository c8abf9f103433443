/**
 * A configuration problem found at start-up. Its message is one paragraph that names
 * every bad key, the value found and what is accepted, so entry points print it and
 * exit instead of showing a stack trace.
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration in ${source}: ${problems.join('; ')}.`);
    this.name = 'ConfigError';
  }
}

/** Renders a value for an error message without flooding it (and never for secrets). */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
