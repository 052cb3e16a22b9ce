#!/usr/bin/env node
// `hoard-server`: the only place that reads the environment and the command line. Builds the
// config, opens the database and the blob store, starts the app and the background jobs, and on
// SIGTERM/SIGINT stops taking connections, drains in-flight requests, then closes everything.
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { configFromEnvironment, type Config } from './config.js';
import { openDatabase, sqlitePathIn } from './db/database.js';
import { startJobs } from './jobs.js';
import { createLogger } from './logger.js';
import { FsBlobStore } from './storage/fs-blob-store.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = configFromEnvironment(process.env, process.argv.slice(2));
  } catch (error) {
    console.error(`hoard-server: ${(error as Error).message}`);
    console.error('usage: hoard-server [--data DIR] [--port N] [--host H]');
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const { db, dialect } = await openDatabase(
    config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqlitePath: sqlitePathIn(config.dataDir) },
  );
  const blobStore = new FsBlobStore({ rootDir: config.dataDir });
  const app = await createApp({ config, db, blobStore, clock: systemClock, logger });
  const jobs = startJobs(
    { config, db, blobStore, clock: systemClock },
    config.jobIntervalSeconds * 1000,
    (error) => logger.error({ err: error }, 'background job failed'),
  );
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address, dialect, dataDir: config.dataDir }, 'hoard-server listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining in-flight requests');
    const forced = setTimeout(() => {
      logger.error('drain took too long; exiting');
      process.exit(1);
    }, 30_000);
    forced.unref();
    void (async () => {
      await app.close();
      await jobs.stop();
      await db.destroy();
      logger.info('stopped');
      process.exit(0);
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('hoard-server failed to start:', error);
  process.exit(1);
});
