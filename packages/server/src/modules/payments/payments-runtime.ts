// Wiring of payments for a running server (server.ts): the provider chosen by the settings, and
// the background loop that keeps invoices moving: the chain watcher (watch provider) or a slow
// re-read of open invoices (BTCPay, as a backstop to its webhooks). In a fleet only one server runs
// the loop at a time: each round takes a PostgreSQL advisory lock (pg_try_advisory_lock) on one
// pooled connection and skips the round when another server holds it; on SQLite there is one
// process. Any server answers status reads. A failing round (provider down, garbage) is logged and
// retried with exponential backoff (up to 10 minutes); it never crashes the server.
import { sql } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Dialect } from '../../db/database.js';
import type { Db } from '../../db/schema.js';
import { BtcpayProvider } from './btcpay/btcpay-provider.js';
import type { PaymentProvider } from './payment-provider.js';
import { PaymentService } from './payment-service.js';
import { paymentProviderKind } from './payments-config.js';
import { ChainWatcher } from './watch/chain-watcher.js';
import { EsploraClient } from './watch/esplora-client.js';
import { BitcoindRpcClient } from './watch/bitcoind-rpc-client.js';
import { WatchProvider } from './watch/watch-provider.js';

/** The advisory lock key of the payments loop ("hoardpay" as a 64-bit number). */
export const PAYMENTS_LOCK_KEY = 0x686f617264706179n;
const MAX_BACKOFF_MS = 10 * 60 * 1000;
/** BTCPay backstop: open invoices are re-read this often. */
const BTCPAY_RESYNC_MS = 5 * 60 * 1000;

/** The provider the settings select, or undefined when none is configured. */
export function createPaymentProvider(config: Config, db: Db, clock: Clock): PaymentProvider | undefined {
  const kind = paymentProviderKind(config);
  if (kind === 'btcpay') {
    return new BtcpayProvider({
      url: config.btcpayUrl ?? '',
      apiKey: config.btcpayApiKey ?? '',
      storeId: config.btcpayStoreId ?? '',
      webhookSecret: config.btcpayWebhookSecret ?? '',
      now: () => clock.now(),
    });
  }
  if (kind === 'watch') {
    const source = config.esploraUrl
      ? new EsploraClient(config.esploraUrl)
      : new BitcoindRpcClient(config.bitcoindRpcUrl ?? '');
    return new WatchProvider({
      db,
      xpub: config.xpub ?? '',
      network: config.network,
      source,
      confirmations: config.confirmations,
      now: () => clock.now(),
    });
  }
  return undefined;
}

/**
 * Runs `fn` only if this server holds the payments lock (PostgreSQL advisory lock, released after);
 * on SQLite it always runs. Resolves to whether it ran.
 */
export async function withPaymentsLock(db: Db, dialect: Dialect, fn: () => Promise<void>): Promise<boolean> {
  if (dialect === 'sqlite') {
    await fn();
    return true;
  }
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(${PAYMENTS_LOCK_KEY}) as locked`.execute(connection);
    if (!rows[0]?.locked) return false;
    try {
      await fn();
      return true;
    } finally {
      await sql`select pg_advisory_unlock(${PAYMENTS_LOCK_KEY})`.execute(connection);
    }
  });
}

export interface PaymentsLoop {
  /** Runs one round now (tests, benchmarks); resolves to whether this server held the lock. */
  runOnce(): Promise<boolean>;
  stop(): Promise<void>;
}

export interface PaymentsLoopDeps {
  config: Config;
  db: Db;
  dialect: Dialect;
  clock: Clock;
  provider: PaymentProvider;
  onError: (error: unknown) => void;
}

/** The one round of background work for the configured provider. */
export function paymentsRound(deps: Omit<PaymentsLoopDeps, 'onError' | 'dialect'>): () => Promise<void> {
  const service = new PaymentService(deps);
  const { provider } = deps;
  if (provider instanceof WatchProvider) {
    const watcher = new ChainWatcher({
      db: deps.db,
      source: provider.source,
      service,
      confirmations: provider.confirmations,
      now: () => deps.clock.now(),
    });
    return async () => {
      await watcher.tick();
    };
  }
  let lastResync = 0;
  return async () => {
    if (deps.clock.now() - lastResync < BTCPAY_RESYNC_MS) return;
    lastResync = deps.clock.now();
    const open = await deps.db
      .selectFrom('invoices')
      .select('id')
      .where('provider', '=', 'btcpay')
      .where('status', 'in', ['new', 'processing'])
      .execute();
    for (const { id } of open) await service.refresh(id);
  };
}

/** Starts the loop: a round every HOARD_CHAIN_POLL_SECONDS, backing off while rounds fail. */
export function startPaymentsLoop(deps: PaymentsLoopDeps): PaymentsLoop {
  const round = paymentsRound(deps);
  const intervalMs = deps.config.chainPollSeconds * 1000;
  let delayMs = intervalMs;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  let stopped = false;
  const runOnce = () => withPaymentsLock(deps.db, deps.dialect, round);
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .then(
          (ran) => {
            delayMs = intervalMs;
            return ran;
          },
          (error: unknown) => {
            deps.onError(error);
            delayMs = Math.min(MAX_BACKOFF_MS, delayMs * 2);
            return false;
          },
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, delayMs);
    timer.unref();
  };
  delayMs = 0;
  schedule();
  delayMs = intervalMs;
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
