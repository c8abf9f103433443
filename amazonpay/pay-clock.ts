// The clock behind x-amz-pay-date: the host clock corrected by the offset Amazon's own responses
// show, as the AWS SDKs do with `systemClockOffset`. Amazon Pay refuses a date in its future
// ("x-amz-pay-date should not be in future", issue 13), so a host clock even a little ahead would
// otherwise make every signed call fail until someone fixes NTP.

/** Amazon's clock as this client last saw it; one per client (one per Amazon Pay endpoint). */
export interface PayClock {
  /** Host time plus the learned offset: the value to sign as x-amz-pay-date. */
  now(): Date;
  /** Milliseconds to add to the host clock; 0 until a response with a Date header arrived. */
  offsetMs(): number;
  /**
   * Learns from one response of Amazon Pay. `dateHeader` is its HTTP `Date` (RFC 9110 IMF-fixdate,
   * whole seconds); `receivedAtMs` the host clock when the response arrived. Returns true when the
   * offset changed. An absent or unparseable header changes nothing.
   */
  observe(dateHeader: string | undefined, receivedAtMs: number): boolean;
}

/**
 * Why an observation is never "too early": the server wrote `Date` before the response arrived and
 * truncated it to the second, so `Date - receivedAt` is at most the true offset (by up to 1 s plus
 * the transit time). Signing with it can only put the date slightly in Amazon's past, which it
 * accepts (minutes of tolerance), never in its future, which it refuses. Newer observations replace
 * older ones (not the largest kept), so a host clock stepped by NTP is followed at once.
 */
export function createPayClock(hostNow: () => Date): PayClock {
  let offset = 0;
  return {
    now: () => new Date(hostNow().getTime() + offset),
    offsetMs: () => offset,
    observe(dateHeader, receivedAtMs) {
      if (dateHeader === undefined) return false;
      const serverMs = Date.parse(dateHeader);
      if (!Number.isFinite(serverMs) || !Number.isFinite(receivedAtMs)) return false;
      const next = serverMs - receivedAtMs;
      // A lower value is always taken: the date we sign might otherwise be ahead of Amazon. A
      // higher one only from a whole second on (the header's resolution), so a host clock in step
      // with Amazon does not move its dates forward and back with every response.
      if (next >= offset && next - offset < 1_000) return false;
      offset = next;
      return true;
    },
  };
}
