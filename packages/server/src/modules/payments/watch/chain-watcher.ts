// Watches the chain for the watch provider. Its cost is per new block, not per invoice:
//   each poll            1 request (GET /blocks/tip/hash); nothing more when the tip is unchanged
//   each new block       1 header + ceil(tx_count / 25) transaction pages, matched in memory against
//                        every watched address (a Map), however many invoices are open
//   after a reorg        1 header per replaced block, and 1 status per payment it unconfirmed
//   per new block        1 status per payment seen in the mempool but still unmined (double spends)
// [Note: reorg check] The hashes of the last blocks it processed are stored (chain_blocks). A new
// tip is walked back header by header until its parent is a stored hash; stored blocks above that
// fork point were reorganized away: payments recorded in them lose their block (back to pending,
// so their credit is reversed by the reconcile) unless the new branch holds them again, in which
// case they keep counting from their new block. A payment that is then neither mined nor in the
// mempool was double-spent: invalid.
// Crash safety: every affected invoice is reconciled (one transaction each, idempotent) BEFORE the
// new blocks are recorded; a crash in between makes the next tick redo the same blocks.
// Never: credit from a block it has not checked links to the chain it knows.
import type { Db } from '../../../db/schema.js';
import type { PaymentService } from '../payment-service.js';
import type { ProviderPayment } from '../payment-provider.js';
import type { BlockHeader, ChainOutput, ChainSource } from './chain-source.js';
import { chainState, storedChainPayments, TIP_HEIGHT } from './watch-provider.js';

/** Deepest reorg (or longest outage) walked back in one tick. */
const MAX_WALK = 2016;
/** Blocks whose hashes are kept for the reorg check. */
const KEEP_BLOCKS = 1000;
/** Addresses of invoices this old stay watched (late payments still credit). */
const WATCH_DAYS = 90;

export interface WatcherDeps {
  db: Db;
  source: ChainSource;
  service: PaymentService;
  confirmations: number;
  now: () => number;
}

export interface TickReport {
  newBlocks: number;
  disconnectedBlocks: number;
  reconciledInvoices: number;
  /** Requests sent to the chain source during the tick. */
  requests: number;
}

interface Observation {
  invoiceId: string;
  amountSats: number;
  blockHash: string | null;
  blockHeight: number | null;
  invalid: boolean;
}

export class ChainWatcher {
  readonly #deps: WatcherDeps;

  constructor(deps: WatcherDeps) {
    this.#deps = deps;
  }

  /** One look at the chain. Throws ProviderUnavailableError when the source is down (nothing is changed then). */
  async tick(): Promise<TickReport> {
    const { db, source } = this.#deps;
    const before = source.requests;
    const report: TickReport = { newBlocks: 0, disconnectedBlocks: 0, reconciledInvoices: 0, requests: 0 };
    const tipHash = await source.tipHash();
    const storedTip = await db
      .selectFrom('chain_blocks')
      .selectAll()
      .orderBy('height', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (storedTip?.hash === tipHash) {
      report.requests = source.requests - before;
      return report;
    }

    // Walk back from the new tip to a block we know ([Note: reorg check]).
    const fresh: BlockHeader[] = [];
    let forkHeight: number;
    let hash = tipHash;
    for (;;) {
      const header = await source.header(hash);
      fresh.unshift(header);
      if (!storedTip) {
        // First run: start watching at the tip.
        forkHeight = header.height - 1;
        break;
      }
      const parent = await db
        .selectFrom('chain_blocks')
        .select('hash')
        .where('height', '=', header.height - 1)
        .executeTakeFirst();
      if (parent && parent.hash === header.previousHash) {
        forkHeight = header.height - 1;
        break;
      }
      if (header.previousHash === null || fresh.length >= MAX_WALK) {
        forkHeight = header.height - 1;
        break;
      }
      hash = header.previousHash;
    }
    const stale = await db
      .selectFrom('chain_blocks')
      .select(['height', 'hash'])
      .where('height', '>', forkHeight)
      .execute();
    report.disconnectedBlocks = stale.length;
    const tipHeight = fresh[fresh.length - 1]?.height ?? forkHeight;

    const observations = new Map<string, Observation>();
    // Payments in blocks that were reorganized away lose their block (for now).
    const unconfirmed = await db
      .selectFrom('invoice_payments')
      .select(['payment_id', 'invoice_id', 'amount_sats'])
      .where('provider', '=', 'watch')
      .where('block_height', '>', forkHeight)
      .execute();
    for (const p of unconfirmed) {
      observations.set(p.payment_id, {
        invoiceId: p.invoice_id,
        amountSats: p.amount_sats,
        blockHash: null,
        blockHeight: null,
        invalid: false,
      });
    }

    // Scan the new blocks against every watched address.
    if (storedTip) {
      const watched = await this.#watchedAddresses();
      for (const header of fresh) {
        const outputs = await source.blockOutputs(header);
        this.#match(outputs, watched, header, observations);
      }
    }
    report.newBlocks = storedTip ? fresh.length : 0;

    // Unmined payments (reorganized out, or seen in the mempool only): still in the mempool, or gone?
    const unmined = await db
      .selectFrom('invoice_payments')
      .select(['payment_id', 'invoice_id', 'amount_sats'])
      .where('provider', '=', 'watch')
      .where('block_height', 'is', null)
      .where('state', 'in', ['pending', 'credited'])
      .execute();
    const toCheck = [
      ...unmined.map((p) => ({
        paymentId: p.payment_id,
        invoiceId: p.invoice_id,
        amountSats: p.amount_sats,
      })),
      ...[...observations.entries()]
        .filter(([, o]) => o.blockHeight === null)
        .map(([paymentId, o]) => ({ paymentId, invoiceId: o.invoiceId, amountSats: o.amountSats })),
    ];
    const checked = new Set<string>();
    for (const p of toCheck) {
      if (checked.has(p.paymentId)) continue;
      checked.add(p.paymentId);
      const current = observations.get(p.paymentId);
      if (current && current.blockHeight !== null) continue;
      const place = await source.txPlace(p.paymentId.split(':')[0] ?? '');
      observations.set(p.paymentId, {
        invoiceId: p.invoiceId,
        amountSats: p.amountSats,
        blockHash: place.kind === 'block' ? place.hash : null,
        blockHeight: place.kind === 'block' ? place.height : null,
        invalid: place.kind === 'unknown',
      });
    }

    // Invoices whose payments may have reached their confirmations with this tip.
    const maturing = await db
      .selectFrom('invoice_payments')
      .select('invoice_id')
      .distinct()
      .where('provider', '=', 'watch')
      .where('state', '=', 'pending')
      .where('block_height', 'is not', null)
      .execute();
    const affected = new Set([
      ...[...observations.values()].map((o) => o.invoiceId),
      ...maturing.map((m) => m.invoice_id),
    ]);
    for (const invoiceId of affected) {
      await this.#reconcile(invoiceId, observations, tipHeight);
      report.reconciledInvoices++;
    }

    // Only now record the blocks (see the crash-safety note above).
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('chain_blocks').where('height', '>', forkHeight).execute();
      const now = this.#deps.now();
      for (const header of fresh) {
        await trx
          .insertInto('chain_blocks')
          .values({ height: header.height, hash: header.hash, processed_at: now })
          .execute();
      }
      await trx
        .deleteFrom('chain_blocks')
        .where('height', '<=', tipHeight - KEEP_BLOCKS)
        .execute();
      const updated = await trx
        .updateTable('chain_state')
        .set({ value: String(tipHeight) })
        .where('name', '=', TIP_HEIGHT)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        await trx
          .insertInto('chain_state')
          .values({ name: TIP_HEIGHT, value: String(tipHeight) })
          .execute();
      }
    });
    report.requests = source.requests - before;
    return report;
  }

  async #watchedAddresses(): Promise<Map<string, string>> {
    const rows = await this.#deps.db
      .selectFrom('invoices')
      .select(['id', 'address'])
      .where('provider', '=', 'watch')
      .where('created_at', '>', this.#deps.now() - WATCH_DAYS * 24 * 3600 * 1000)
      .execute();
    return new Map(rows.map((r) => [r.address, r.id]));
  }

  #match(
    outputs: ChainOutput[],
    watched: Map<string, string>,
    header: BlockHeader,
    into: Map<string, Observation>,
  ): void {
    for (const output of outputs) {
      if (output.address === null || output.valueSats <= 0) continue;
      const invoiceId = watched.get(output.address);
      if (invoiceId === undefined) continue;
      into.set(`${output.txid}:${output.vout}`, {
        invoiceId,
        amountSats: output.valueSats,
        blockHash: header.hash,
        blockHeight: header.height,
        invalid: false,
      });
    }
  }

  async #reconcile(
    invoiceId: string,
    observations: Map<string, Observation>,
    tipHeight: number,
  ): Promise<void> {
    const { db, service, confirmations } = this.#deps;
    const invoice = await service.findInvoiceRow(invoiceId);
    if (!invoice) return;
    const rows = await db
      .selectFrom('invoice_payments')
      .selectAll()
      .where('invoice_id', '=', invoiceId)
      .execute();
    const payments: ProviderPayment[] = storedChainPayments(rows, tipHeight, confirmations);
    const byId = new Map(payments.map((p) => [p.paymentId, p]));
    const now = this.#deps.now();
    for (const [paymentId, o] of observations) {
      if (o.invoiceId !== invoiceId) continue;
      const payment: ProviderPayment = {
        paymentId,
        amountSats: byId.get(paymentId)?.amountSats ?? o.amountSats,
        state: chainState({ blockHeight: o.blockHeight, invalid: o.invalid }, tipHeight, confirmations),
        receivedAt: byId.get(paymentId)?.receivedAt ?? now,
        blockHash: o.blockHash,
        blockHeight: o.blockHeight,
      };
      if (byId.has(paymentId)) payments[payments.findIndex((p) => p.paymentId === paymentId)] = payment;
      else payments.push(payment);
      byId.set(paymentId, payment);
    }
    await service.reconcile(
      invoiceId,
      {
        providerInvoiceId: invoice.provider_invoice_id,
        amountSats: invoice.amount_sats,
        payments,
        verdict: 'none',
        providerStatus: 'chain',
      },
      'chain',
    );
  }
}
