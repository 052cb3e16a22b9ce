// What createApp needs, passed in (no globals): tests build many apps side by side.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import type { BlobStore } from './storage/blob-store.js';

export interface AppDeps {
  config: Config;
  db: Db;
  blobStore: BlobStore;
  clock: Clock;
  /** The built web app served at `/` (default: packages/web/dist; nothing is served without it). */
  webDir?: string;
  /** A pino logger; absent means no logging (tests). */
  logger?: FastifyBaseLogger;
}
