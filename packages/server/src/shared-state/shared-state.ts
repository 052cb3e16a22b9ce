// What several servers must share in memory, behind one interface: rate limits and part locks. On one
// box it lives in process (InProcessSharedState); in a fleet, in Redis (RedisSharedState), so that a
// limit counts every server's attempts and a part being written through A is known to B.
//
// [Note: Redis down] When Redis cannot be reached, a limiter built with `whenUnavailable: 'deny'`
// (login and recovery: where guessing is possible) refuses; every other use lets the request through,
// so uploads, downloads and the tree keep working.
import type { Clock } from '../clock.js';
import type { RateLimitConfig } from '../config.js';
import type { PartLocks } from '../modules/transfers/upload-service.js';
import { InProcessPartLocks } from '../modules/transfers/upload-service.js';
import { InMemoryRateLimiter, type RateLimiter } from '../rate-limiter.js';

export interface SharedState {
  /**
   * A rate limiter named `name` (its keys are apart from other limiters'); `whenUnavailable` says
   * what it answers while the shared store is unreachable.
   */
  rateLimiter(name: string, limit: RateLimitConfig, whenUnavailable: 'deny' | 'allow'): RateLimiter;
  partLocks: PartLocks;
  /** Releases connections. */
  close(): Promise<void>;
}

/** One box: everything in this process. */
export class InProcessSharedState implements SharedState {
  readonly partLocks: PartLocks = new InProcessPartLocks();
  constructor(private readonly clock: Clock) {}

  rateLimiter(_name: string, limit: RateLimitConfig): RateLimiter {
    return new InMemoryRateLimiter(limit.limit, limit.windowSeconds, this.clock);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
