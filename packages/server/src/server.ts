// A running server: database, blob store, app, background jobs, wired from a Config. main.ts calls
// startServer and stops it on SIGTERM; tests call both directly. `stop()` drains: it stops taking
// connections, lets in-flight requests finish (new ones on kept-alive connections get 503), then
// stops the jobs and closes the database.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createApp } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, sqlitePathIn, type Dialect } from './db/database.js';
import { startJobs } from './jobs.js';
import type { BlobStore } from './storage/blob-store.js';
import { createPaymentProvider, startPaymentsLoop } from './modules/payments/payments-runtime.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
import { RedisSharedState } from './shared-state/redis-shared-state.js';
import type { SharedState } from './shared-state/shared-state.js';
import { S3BlobStore } from './storage/s3-blob-store.js';

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. `http://127.0.0.1:8080` */
  address: string;
  dialect: Dialect;
  /** Drains in-flight requests, then closes everything. */
  stop(): Promise<void>;
}

export async function startServer(
  config: Config,
  logger?: FastifyBaseLogger,
  clock: Clock = systemClock,
): Promise<RunningServer> {
  let opened;
  try {
    opened = await openDatabase(
      config.databaseUrl
        ? {
            databaseUrl: config.databaseUrl,
            onPoolError: (error) => logger?.warn({ err: error }, 'idle database connection failed'),
          }
        : { sqlitePath: sqlitePathIn(config.dataDir) },
    );
  } catch (error) {
    const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'the SQLite database';
    throw new Error(`${where} cannot be opened: ${(error as Error).message}`, { cause: error });
  }
  const { db, dialect } = opened;
  const paymentProvider = createPaymentProvider(config, db, clock);
  // Fleet mode: blobs in the bucket (created if missing); dataDir then holds no blob.
  let s3: S3BlobStore | undefined;
  let blobStore: BlobStore;
  let app: FastifyInstance;
  // Several servers: rate limits and part locks in Redis. Redis down at start is no reason to stay
  // down: login limits refuse until it answers, the rest works ([Note: Redis down]).
  let shared: SharedState | undefined;
  try {
    if (config.s3) {
      s3 = new S3BlobStore(config.s3);
      await s3.ensureBucket();
      blobStore = s3;
    } else {
      blobStore = new FsBlobStore({ rootDir: config.dataDir });
    }
    if (config.redisUrl) {
      let warned = false;
      const redis = new RedisSharedState({
        url: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        clock,
        onError: (error) => {
          if (warned) return;
          warned = true;
          logger?.warn({ err: error }, 'Redis is unreachable: login limits refuse until it answers');
        },
      });
      if (!(await redis.ready(3000))) logger?.warn('Redis did not answer at start');
      shared = redis;
    }
    app = await createApp({
      config,
      db,
      blobStore,
      clock,
      paymentProvider,
      ...(shared ? { shared } : {}),
      ...(logger ? { logger } : {}),
    });
  } catch (error) {
    s3?.close();
    await shared?.close();
    await db.destroy();
    throw error;
  }
  const jobs = startJobs({ config, db, blobStore, clock }, config.jobIntervalSeconds * 1000, (error) =>
    logger?.error({ err: error }, 'background job failed'),
  );
  const payments = paymentProvider
    ? startPaymentsLoop({
        config,
        db,
        dialect,
        clock,
        provider: paymentProvider,
        onError: (error) => logger?.warn({ err: error }, 'payments round failed; retrying with backoff'),
      })
    : undefined;
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await payments?.stop();
    await jobs.stop();
    await app.close();
    await db.destroy();
    s3?.close();
    await shared?.close();
    throw error;
  }
  return {
    app,
    address,
    dialect,
    async stop() {
      await app.close();
      await payments?.stop();
      await jobs.stop();
      await db.destroy();
      s3?.close();
      await shared?.close();
    },
  };
}
