// The `watch` PaymentProvider: a watch-only receiver. Each invoice gets the next receive address of
// the operator's extended public key (a counter in the database, so an address is never handed out
// twice, even by two servers at once); payments are found by the ChainWatcher, one scan per new
// block, and their confirmations counted from the tip it last saw. readInvoice adds what waits in
// the mempool for that one address (one request), so a payer sees "processing" before a block.
// Never: hold a private key; credit what the chain watcher has not seen confirmed.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../../db/schema.js';
import type {
  PaymentProvider,
  ProviderInvoice,
  ProviderInvoiceRequest,
  ProviderInvoiceView,
  ProviderPayment,
  StoredInvoiceRef,
} from '../payment-provider.js';
import type { BitcoinNetwork } from '../payments-config.js';
import type { InvoicePaymentsTable } from '../payments-schema.js';
import { bip21Uri } from '../sats.js';
import type { ChainSource } from './chain-source.js';
import { XpubAddresses } from './xpub-addresses.js';

export const TIP_HEIGHT = 'watch.tip_height';

export interface WatchOptions {
  db: Db;
  xpub: string;
  network: BitcoinNetwork;
  source: ChainSource;
  confirmations: number;
  now?: () => number;
}

/** A stored payment as the chain says it is, given the tip height. */
export function chainState(
  payment: { blockHeight: number | null; invalid: boolean },
  tipHeight: number,
  confirmations: number,
): ProviderPayment['state'] {
  if (payment.invalid) return 'invalid';
  if (payment.blockHeight === null) return 'pending';
  return tipHeight - payment.blockHeight + 1 >= confirmations ? 'confirmed' : 'pending';
}

/** Stored payments as provider payments (states from the chain, not from what was credited). */
export function storedChainPayments(
  rows: readonly InvoicePaymentsTable[],
  tipHeight: number,
  confirmations: number,
): ProviderPayment[] {
  return rows.map((row) => ({
    paymentId: row.payment_id,
    amountSats: row.amount_sats,
    state: chainState(
      { blockHeight: row.block_height, invalid: row.state === 'invalid' || row.state === 'reversed' },
      tipHeight,
      confirmations,
    ),
    receivedAt: row.seen_at,
    blockHash: row.block_hash,
    blockHeight: row.block_height,
  }));
}

export async function storedTipHeight(db: Db): Promise<number> {
  const row = await db
    .selectFrom('chain_state')
    .select('value')
    .where('name', '=', TIP_HEIGHT)
    .executeTakeFirst();
  return row ? Number(row.value) : -1;
}

export class WatchProvider implements PaymentProvider {
  readonly kind = 'watch' as const;
  readonly addresses: XpubAddresses;
  readonly #options: WatchOptions;
  readonly #counterName: string;

  constructor(options: WatchOptions) {
    this.#options = options;
    this.addresses = new XpubAddresses(options.xpub, options.network);
    // One counter per key: a new key starts again at index 0.
    this.#counterName = `watch.next_index.${createHash('sha256').update(options.xpub).digest('hex').slice(0, 16)}`;
  }

  get confirmations(): number {
    return this.#options.confirmations;
  }

  get source(): ChainSource {
    return this.#options.source;
  }

  /** The next never-used receive index (atomic: one UPDATE ... RETURNING decides). */
  async #nextIndex(): Promise<number> {
    const { db } = this.#options;
    await db
      .insertInto('chain_state')
      .values({ name: this.#counterName, value: '0' })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await db
      .updateTable('chain_state')
      .set({ value: sql<string>`cast(cast(value as bigint) + 1 as text)` })
      .where('name', '=', this.#counterName)
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(row.value) - 1;
  }

  async createInvoice(request: ProviderInvoiceRequest): Promise<ProviderInvoice> {
    const index = await this.#nextIndex();
    const address = this.addresses.address(index);
    return {
      providerInvoiceId: address,
      address,
      bip21: bip21Uri(address, request.amountSats, { label: request.description }),
      lightning: null,
      checkoutLink: null,
      expiresAt: request.expiresAt,
      derivationIndex: index,
    };
  }

  async readInvoice(ref: StoredInvoiceRef): Promise<ProviderInvoiceView> {
    const { db, source, confirmations } = this.#options;
    const mempool = await source.mempoolOutputs(ref.address);
    const rows = await db
      .selectFrom('invoice_payments')
      .selectAll()
      .where('invoice_id', '=', ref.id)
      .execute();
    const tip = await storedTipHeight(db);
    const payments = storedChainPayments(rows, tip, confirmations);
    const known = new Set(payments.map((p) => p.paymentId));
    const now = this.#options.now?.() ?? Date.now();
    for (const output of mempool) {
      const paymentId = `${output.txid}:${output.vout}`;
      if (known.has(paymentId) || output.valueSats <= 0) continue;
      known.add(paymentId);
      payments.push({
        paymentId,
        amountSats: output.valueSats,
        state: 'pending',
        receivedAt: now,
        blockHash: null,
        blockHeight: null,
      });
    }
    return {
      providerInvoiceId: ref.providerInvoiceId,
      amountSats: ref.amountSats,
      payments,
      verdict: 'none',
      providerStatus: 'chain',
    };
  }
}
