// HTTP for the providers' clients: a timeout on every request, retries with exponential backoff
// for reads, and one error type for "down or garbage" (ProviderUnavailableError), so that callers
// never credit on doubt and never crash on a provider's bad day.
import { ProviderUnavailableError } from './payment-provider.js';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface ProviderHttpOptions {
  fetch?: FetchLike;
  /** Per request. */
  timeoutMs?: number;
  /** Attempts for idempotent reads (1 = no retry). */
  attempts?: number;
  /** First backoff; doubles each time. */
  backoffMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A 4xx the provider meant: not retried, reported to the caller as is. */
export class ProviderHttpError extends Error {
  override name = 'ProviderHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends one request and returns the body text of a 2xx answer. Network errors, timeouts and 5xx
 * are retried (reads only) and end as ProviderUnavailableError; a 4xx is a ProviderHttpError.
 */
export async function providerRequest(
  url: string,
  init: RequestInit & { idempotent: boolean },
  options: ProviderHttpOptions,
): Promise<string> {
  const doFetch = options.fetch ?? ((u, i) => fetch(u, i));
  const attempts = init.idempotent ? (options.attempts ?? 3) : 1;
  let backoff = options.backoffMs ?? 200;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await doFetch(url, {
        ...init,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await response.text();
      if (response.ok) return text;
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw new ProviderHttpError(
          response.status,
          `${response.status} from the provider: ${text.slice(0, 200)}`,
        );
      }
      lastError = new Error(`${response.status} from the provider`);
    } catch (error) {
      if (error instanceof ProviderHttpError) throw error;
      lastError = error;
    }
    if (attempt < attempts) {
      await sleep(backoff);
      backoff *= 2;
    }
  }
  throw new ProviderUnavailableError(
    `the payment provider is not reachable: ${String((lastError as Error)?.message ?? lastError)}`,
    {
      cause: lastError,
    },
  );
}

/** Parses JSON or reports garbage as ProviderUnavailableError. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProviderUnavailableError('the payment provider answered something that is not JSON', {
      cause: error,
    });
  }
}
