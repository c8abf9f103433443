// Long lists in `IN (…)` go to PostgreSQL in slices. Its extended protocol counts a statement's
// parameters in 16 bits (at most 65,535, PostgreSQL docs "Message Formats", Bind), and drizzle's
// inArray binds one parameter per item: the drift job's list of every running subscription
// workflow failed the whole job past 65,535 ("bind message has … parameter formats", seen on the
// 100,000-subscription benchmark), and with it the steps after it.

/** Items per statement: well below the protocol's 65,535, and small enough to plan quickly. */
export const MAX_ITEMS_PER_STATEMENT = 10_000;

/** `query` over `items` in slices of at most MAX_ITEMS_PER_STATEMENT (or `size`), one after another, results concatenated in order. */
export async function inSlices<T, R>(items: readonly T[], query: (slice: T[]) => Promise<R[]>, size = MAX_ITEMS_PER_STATEMENT): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await query(items.slice(i, i + size))));
  return results;
}
