/** Parses "500ms", "30s", "15m", "2h", "7d" into milliseconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(value * unit);
  return Number.isSafeInteger(ms) ? ms : null;
}

export const DURATION_HELP = 'a duration such as "500ms", "30s", "15m", "2h" or "7d"';
