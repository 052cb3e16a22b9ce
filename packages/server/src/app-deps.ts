// What createApp needs, passed in (no globals): tests build many apps side by side.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import type { SharedState } from './shared-state/shared-state.js';
import type { PaymentProvider } from './modules/payments/payment-provider.js';
import type { BlobStore } from './storage/blob-store.js';

export interface AppDeps {
  config: Config;
  db: Db;
  blobStore: BlobStore;
  clock: Clock;
  /** The built web app served at `/` (default: packages/web/dist; nothing is served without it). */
  webDir?: string;
  /** Rate limits and part locks shared by every server (Redis in a fleet); absent: in process. */
  shared?: SharedState;
  /** BTCPay or the watch-only receiver; absent means no invoices (plans are still listed). */
  paymentProvider?: PaymentProvider | undefined;
  /** A pino logger; absent means no logging (tests). */
  logger?: FastifyBaseLogger;
}
