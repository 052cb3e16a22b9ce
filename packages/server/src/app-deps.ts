// What createApp needs, passed in (no globals): tests build many apps side by side.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import type { PaymentProvider } from './modules/payments/payment-provider.js';
import type { BlobStore } from './storage/blob-store.js';

export interface AppDeps {
  config: Config;
  db: Db;
  blobStore: BlobStore;
  clock: Clock;
  /** BTCPay or the watch-only receiver; absent means no invoices (plans are still listed). */
  paymentProvider?: PaymentProvider | undefined;
  /** A pino logger; absent means no logging (tests). */
  logger?: FastifyBaseLogger;
}
