import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { InMemoryRateLimiter } from './rate-limiter.js';

describe('InMemoryRateLimiter', () => {
  it('allows `limit` attempts per window, then says how long to wait', async () => {
    const clock = new ManualClock();
    const limiter = new InMemoryRateLimiter(3, 60, clock);
    for (let i = 0; i < 3; i++) expect(await limiter.consume('k')).toEqual({ allowed: true });
    expect(await limiter.consume('k')).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect(await limiter.consume('other')).toEqual({ allowed: true });
    clock.advance(20_000);
    expect(await limiter.consume('k')).toEqual({ allowed: true });
    expect((await limiter.consume('k')).allowed).toBe(false);
  });
});
