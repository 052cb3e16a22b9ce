// A small bounded-concurrency runner: at most `limit` tasks in flight, the first failure stops
// new tasks from starting and is rethrown once the running ones have settled.

/** Runs `task` for every item with at most `limit` in flight; rejects with the first failure. */
export async function runPool<T>(
  items: Iterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure) {
      const next = iterator.next();
      if (next.done) return;
      try {
        await task(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failure) throw failure.error;
}
