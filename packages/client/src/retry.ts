// Retries with exponential backoff and full jitter, for the idempotent requests of a transfer.

import { ApiError, isTransient } from './api-error.js';

export interface RetryOptions {
  /** Attempts in all, the first included. Default 6. */
  attempts?: number;
  /** First backoff in ms; doubles each time, capped at maxDelayMs. Default 250. */
  baseDelayMs?: number;
  /** Default 8000. */
  maxDelayMs?: number;
  /** Which errors are worth another attempt. Default: network errors, 5xx, 429, PART_IN_PROGRESS. */
  shouldRetry?: (error: unknown) => boolean;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Aborts the waiting between attempts. */
  signal?: AbortSignal | undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function jitter(maxMs: number): number {
  const [word] = crypto.getRandomValues(new Uint32Array(1));
  return Math.floor(((word ?? 0) / 2 ** 32) * maxMs);
}

/**
 * Runs `fn` until it succeeds, it fails with an error `shouldRetry` rejects, or the attempts are
 * spent (then the last error is thrown). A Retry-After from the server is honoured.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 8000;
  const shouldRetry = options.shouldRetry ?? isTransient;
  const wait = options.sleep ?? ((ms: number) => sleep(ms, options.signal));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !shouldRetry(error) || options.signal?.aborted) throw error;
      const backoff = jitter(Math.min(max, base * 2 ** (attempt - 1)));
      const serverAsked =
        error instanceof ApiError && error.retryAfterSeconds !== undefined
          ? error.retryAfterSeconds * 1000
          : 0;
      await wait(Math.max(backoff, serverAsked));
    }
  }
}
