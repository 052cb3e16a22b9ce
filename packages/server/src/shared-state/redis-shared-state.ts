// SharedState in Redis (ioredis), for a fleet: token buckets updated atomically by a Lua script, and
// part locks as SET NX keys with an expiry (a server killed while holding one frees it after the
// lock's lifetime). Commands fail fast while Redis is down (no offline queue), see [Note: Redis down].
//
// Never: store anything a request needs that is not in PostgreSQL or the bucket as well (a Redis
// restart loses counts and locks, nothing else); log keys (they hold e-mail addresses).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { RateLimitConfig } from '../config.js';
import type { PartLocks } from '../modules/transfers/upload-service.js';
import type { RateLimitDecision, RateLimiter } from '../rate-limiter.js';
import type { SharedState } from './shared-state.js';

/** Token bucket: KEYS[1]; ARGV: limit, refill per ms, now ms, ttl ms. Returns {allowed, tokens*1000}. */
const CONSUME = `
local limit = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(state[1]) or limit
local updated = tonumber(state[2]) or now
if now > updated then tokens = math.min(limit, tokens + (now - updated) * refill) end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(math.max(now, updated)))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, math.floor(tokens * 1000)}
`;

/** Deletes KEYS[1] only if it still holds ARGV[1] (our own lock). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Extends KEYS[1] to ARGV[2] ms only if it still holds ARGV[1]. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * A part lock lives this long unless its holder renews it (every PART_LOCK_RENEW_MS while the part
 * streams): a server killed mid-part blocks that part for at most this long, which the client's
 * retries of PART_IN_PROGRESS outlast.
 */
const PART_LOCK_TTL_MS = 10_000;
const PART_LOCK_RENEW_MS = 3_000;
/** Retry-After while Redis is down and a limiter refuses. */
const UNAVAILABLE_RETRY_SECONDS = 30;

export interface RedisSharedStateOptions {
  url: string;
  clock: Clock;
  /** Prefix of every key (default `hoard:`), so that several deployments can share one Redis. */
  keyPrefix?: string;
  /** Told when a command fails because Redis is unreachable. */
  onError?: (error: Error) => void;
}

class RedisRateLimiter implements RateLimiter {
  readonly #refillPerMs: number;
  readonly #ttlMs: number;

  constructor(
    private readonly shared: RedisSharedState,
    private readonly name: string,
    private readonly limit: RateLimitConfig,
    private readonly whenUnavailable: 'deny' | 'allow',
  ) {
    this.#refillPerMs = limit.limit / (limit.windowSeconds * 1000);
    this.#ttlMs = limit.windowSeconds * 1000 * 2;
  }

  async consume(key: string): Promise<RateLimitDecision> {
    let answer: unknown;
    try {
      answer = await this.shared.redis.eval(
        CONSUME,
        1,
        this.shared.key(`rl:${this.name}:${key}`),
        String(this.limit.limit),
        String(this.#refillPerMs),
        String(this.shared.clock.now()),
        String(this.#ttlMs),
      );
    } catch (error) {
      this.shared.reportError(error);
      return this.whenUnavailable === 'deny'
        ? { allowed: false, retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS }
        : { allowed: true };
    }
    const [allowed, milliTokens] = answer as [number, number];
    if (allowed === 1) return { allowed: true };
    const waitMs = (1 - milliTokens / 1000) / this.#refillPerMs;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  async reset(key: string): Promise<void> {
    try {
      await this.shared.redis.del(this.shared.key(`rl:${this.name}:${key}`));
    } catch (error) {
      this.shared.reportError(error);
    }
  }
}

class RedisPartLocks implements PartLocks {
  readonly #held = new Map<string, { token: string; timer: NodeJS.Timeout }>();
  constructor(private readonly shared: RedisSharedState) {}

  async acquire(key: string): Promise<boolean> {
    const token = randomBytes(12).toString('base64url');
    try {
      const set = await this.shared.redis.set(
        this.shared.key(`part:${key}`),
        token,
        'PX',
        PART_LOCK_TTL_MS,
        'NX',
      );
      if (set !== 'OK') return false;
    } catch (error) {
      // Redis down: let the part through (the store keeps parts apart; see [Note: Redis down]).
      this.shared.reportError(error);
    }
    const timer = setInterval(() => {
      this.shared.redis
        .eval(RENEW, 1, this.shared.key(`part:${key}`), token, String(PART_LOCK_TTL_MS))
        .catch((error: unknown) => this.shared.reportError(error));
    }, PART_LOCK_RENEW_MS);
    timer.unref();
    this.#held.set(key, { token, timer });
    return true;
  }

  async release(key: string): Promise<void> {
    const held = this.#held.get(key);
    this.#held.delete(key);
    if (held === undefined) return;
    clearInterval(held.timer);
    const { token } = held;
    try {
      await this.shared.redis.eval(RELEASE, 1, this.shared.key(`part:${key}`), token);
    } catch (error) {
      this.shared.reportError(error);
    }
  }
}

export class RedisSharedState implements SharedState {
  readonly redis: Redis;
  readonly clock: Clock;
  readonly partLocks: PartLocks;
  readonly #prefix: string;
  readonly #onError: ((error: Error) => void) | undefined;

  constructor(options: RedisSharedStateOptions) {
    this.clock = options.clock;
    this.#prefix = options.keyPrefix ?? 'hoard:';
    this.#onError = options.onError;
    this.redis = new Redis(options.url, {
      // Fail fast while disconnected instead of queueing requests behind a dead Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    // Without a listener, a connection error would be an unhandled 'error' event.
    this.redis.on('error', (error: Error) => this.reportError(error));
    this.partLocks = new RedisPartLocks(this);
  }

  key(suffix: string): string {
    return `${this.#prefix}${suffix}`;
  }

  reportError(error: unknown): void {
    this.#onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  rateLimiter(name: string, limit: RateLimitConfig, whenUnavailable: 'deny' | 'allow'): RateLimiter {
    return new RedisRateLimiter(this, name, limit, whenUnavailable);
  }

  /** Waits until connected, at most `timeoutMs`; resolves false if Redis did not answer by then. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
