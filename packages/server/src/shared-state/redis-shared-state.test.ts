import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { describeWhen } from '../testing/describe-when.js';
import { RedisSharedState } from './redis-shared-state.js';

const redisUrl = process.env.REDIS_URL;
const limit = { limit: 3, windowSeconds: 60 };

describeWhen('RedisSharedState', { REDIS_URL: redisUrl }, () => {
  const opened: RedisSharedState[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  function open(url: string, prefix: string, clock = new ManualClock(Date.now())) {
    const state = new RedisSharedState({ url, clock, keyPrefix: prefix });
    opened.push(state);
    return state;
  }

  it('counts one limit across servers, refills over its window, and forgets a reset key', async () => {
    const prefix = `hoard-test-${randomBytes(6).toString('hex')}:`;
    const clock = new ManualClock(Date.now());
    const [a, b] = [open(redisUrl!, prefix, clock), open(redisUrl!, prefix, clock)];
    await Promise.all([a.ready(5000), b.ready(5000)]);
    const [la, lb] = [
      a.rateLimiter('login-email', limit, 'deny'),
      b.rateLimiter('login-email', limit, 'deny'),
    ];
    const decisions = [
      await la.consume('k'),
      await lb.consume('k'),
      await la.consume('k'),
      await lb.consume('k'),
    ];
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    const refused = decisions[3]!;
    expect(refused.allowed === false && refused.retryAfterSeconds).toBe(20);
    clock.advance(20_000);
    expect((await la.consume('k')).allowed).toBe(true);
    await lb.reset('k');
    expect((await la.consume('k')).allowed).toBe(true);
  });

  it('holds a part lock for one server at a time', async () => {
    const prefix = `hoard-test-${randomBytes(6).toString('hex')}:`;
    const [a, b] = [open(redisUrl!, prefix), open(redisUrl!, prefix)];
    await Promise.all([a.ready(5000), b.ready(5000)]);
    expect(await a.partLocks.acquire('u/1')).toBe(true);
    expect(await b.partLocks.acquire('u/1')).toBe(false);
    await a.partLocks.release('u/1');
    expect(await b.partLocks.acquire('u/1')).toBe(true);
  });

  it('refuses logins while Redis is down, and lets everything else through', async () => {
    const down = open('redis://127.0.0.1:9', 'hoard-test:');
    expect(await down.ready(300)).toBe(false);
    expect((await down.rateLimiter('login-email', limit, 'deny').consume('k')).allowed).toBe(false);
    expect((await down.rateLimiter('signup-ip', limit, 'allow').consume('k')).allowed).toBe(true);
    expect(await down.partLocks.acquire('u/1')).toBe(true);
    await down.partLocks.release('u/1');
  });
});
