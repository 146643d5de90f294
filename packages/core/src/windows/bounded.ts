/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results in input order. On an
 * error no new call starts; the first error is thrown once the calls in flight have settled.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/**
 * Like mapBounded, but every item is tried even when some fail; the first error is thrown at
 * the end. For steps whose items are independent (recording what was already put).
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let failure: { error: unknown } | undefined;
  await mapBounded(items, limit, (item, i) =>
    fn(item, i).catch((error: unknown) => {
      failure ??= { error };
    }),
  );
  if (failure) throw failure.error;
}
