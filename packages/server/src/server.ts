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
import { createPaymentProvider, startPaymentsLoop } from './modules/payments/payments-runtime.js';
import { FsBlobStore } from './storage/fs-blob-store.js';

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
  const { db, dialect } = await openDatabase(
    config.databaseUrl
      ? {
          databaseUrl: config.databaseUrl,
          onPoolError: (error) => logger?.warn({ err: error }, 'idle database connection failed'),
        }
      : { sqlitePath: sqlitePathIn(config.dataDir) },
  );
  const blobStore = new FsBlobStore({ rootDir: config.dataDir });
  let app: FastifyInstance;
  const paymentProvider = createPaymentProvider(config, db, clock);
  try {
    app = await createApp({ config, db, blobStore, clock, paymentProvider, ...(logger ? { logger } : {}) });
  } catch (error) {
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
    },
  };
}
