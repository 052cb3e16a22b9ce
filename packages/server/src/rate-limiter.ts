// Rate limiting behind a small interface: in process on one box (InMemoryRateLimiter), a shared
// store (Redis) when several servers run behind a load balancer, later.
import type { Clock } from './clock.js';

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one attempt under `key` and says whether it is allowed. */
  consume(key: string): Promise<RateLimitDecision>;
  /** Forgets the attempts counted under `key` (a successful login clears its e-mail's count). */
  reset(key: string): Promise<void>;
}

/**
 * A token bucket per key: `limit` attempts, refilled evenly over `windowSeconds`. Keys whose bucket
 * is full again are forgotten, so memory stays bounded by the keys active within one window.
 */
export class InMemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; updatedMs: number }>();
  readonly #refillPerMs: number;

  constructor(
    private readonly limit: number,
    windowSeconds: number,
    private readonly clock: Clock,
  ) {
    this.#refillPerMs = limit / (windowSeconds * 1000);
  }

  consume(key: string): Promise<RateLimitDecision> {
    const now = this.clock.now();
    if (this.#buckets.size > 10_000) this.#sweep(now);
    const bucket = this.#buckets.get(key) ?? { tokens: this.limit, updatedMs: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + (now - bucket.updatedMs) * this.#refillPerMs);
    bucket.updatedMs = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Promise.resolve({ allowed: true });
    }
    const waitMs = (1 - bucket.tokens) / this.#refillPerMs;
    return Promise.resolve({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
  }

  reset(key: string): Promise<void> {
    this.#buckets.delete(key);
    return Promise.resolve();
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.updatedMs) * this.#refillPerMs >= this.limit)
        this.#buckets.delete(key);
    }
  }
}
