// @hoard/server: the service. Its public face for e2e tests, benchmarks and embedding: build an app
// from dependencies, or start a whole server from a Config.
export { createApp, type AppDeps } from './app.js';
export { startServer, type RunningServer } from './server.js';
export { configFromEnvironment, parseConfig, type Config, type ConfigInput } from './config.js';
export { openDatabase, type Dialect, type OpenedDatabase } from './db/database.js';
export type { Db, DatabaseSchema } from './db/schema.js';
export { runJobs, startJobs, type JobReport } from './jobs.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { createLogger } from './logger.js';
export { AppError } from './errors.js';
export type { BlobStore } from './storage/blob-store.js';
export { FsBlobStore } from './storage/fs-blob-store.js';
