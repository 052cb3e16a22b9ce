import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from './api-error.js';
import { runPool } from './pool.js';
import { withRetry } from './retry.js';

describe('runPool', () => {
  it('never runs more than the limit at once and runs every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      done.push(n);
      running--;
    });
    expect(peak).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('stops starting tasks after the first failure and rethrows it', async () => {
    const started: number[] = [];
    await expect(
      runPool([1, 2, 3, 4, 5], 1, (n) => {
        started.push(n);
        return n === 2 ? Promise.reject(new Error('boom')) : Promise.resolve();
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});

describe('withRetry', () => {
  const noSleep = { sleep: () => Promise.resolve() };

  it('retries network errors and 5xx until success', async () => {
    let calls = 0;
    const result = await withRetry(() => {
      calls++;
      if (calls === 1) return Promise.reject(new NetworkError('reset'));
      if (calls === 2) return Promise.reject(new ApiError('UNAVAILABLE', 503, 'busy'));
      return Promise.resolve('ok');
    }, noSleep);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry a client error', async () => {
    let calls = 0;
    await expect(
      withRetry(() => {
        calls++;
        return Promise.reject(new ApiError('PART_CONFLICT', 409, 'other bytes'));
      }, noSleep),
    ).rejects.toMatchObject({ code: 'PART_CONFLICT' });
    expect(calls).toBe(1);
  });

  it('gives up after the attempts and throws the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        () => {
          calls++;
          return Promise.reject(new NetworkError(`try ${calls}`));
        },
        { ...noSleep, attempts: 3 },
      ),
    ).rejects.toThrow('try 3');
  });

  it('waits at least as long as Retry-After asks', async () => {
    const waits: number[] = [];
    let calls = 0;
    await withRetry(
      () =>
        ++calls === 1 ? Promise.reject(new ApiError('RATE_LIMITED', 429, 'slow down', 2)) : Promise.resolve(),
      { sleep: (ms) => (waits.push(ms), Promise.resolve()) },
    );
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
  });
});
