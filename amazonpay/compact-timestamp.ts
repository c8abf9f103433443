// Amazon Pay's compact timestamps (API v2 objects: creationTimestamp, expirationTimestamp,
// lastUpdatedTimestamp), e.g. 20190714T155300Z: UTC, whole seconds, no separators.

/** Amazon's compact timestamp (20190714T155300Z) as a Date; null when absent or malformed. */
export function parseCompactTimestamp(value: string | null | undefined): Date | null {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return null;
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(at.getTime()) ? null : at;
}
