// Plans, invoices and crediting, without HTTP. The heart is `reconcile`: it takes a provider's view
// of one invoice (from a webhook's re-read, a status read, the chain watcher or the expiry job) and,
// in one database transaction, records new payments, credits confirmed ones, reverses credits the
// provider no longer stands behind, moves the invoice through its state machine, and buys, or
// un-buys, the plan period. Every ledger posting has an idempotency key derived from the provider's
// payment id (and how many times it was credited), so a replayed, duplicated or out-of-order view
// changes nothing, and a crash mid-way rolls the whole transaction back (a restart re-reconciles).
//
// [Note: money locking] A reconcile locks the account's users row, then the invoice row, before it
// reads anything (PostgreSQL row locks; SQLite serializes writers), so two servers reconciling the
// same invoice, or two invoices of one account, never interleave. Grants and lapses lock the users
// row first too. A unique-key race or a deadlock rolls back and retries the whole unit.
//
// Never: credit from a webhook's body, credit a payment that is not confirmed, post a float.
import type { AccountPlan, Invoice, InvoicePayment, Plan, PlansResponse } from '@hoard/protocol';
import { sql } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/schema.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import { randomId } from '../../secrets.js';
import { audit } from './audit-log.js';
import { invoiceStatus } from './invoice-status.js';
import {
  AlreadyPostedError,
  OPERATOR_GRANTS,
  OPERATOR_MARKED,
  GRANTED,
  REVENUE,
  WORLD,
  post,
  userAccount,
} from './ledger.js';
import type {
  PaymentProvider,
  ProviderInvoiceView,
  ProviderPayment,
  ProviderVerdict,
} from './payment-provider.js';
import { ProviderRejectedError, ProviderUnavailableError } from './payment-provider.js';
import type { InvoicePaymentsTable, InvoicesTable, PaymentStateColumn } from './payments-schema.js';
import { FREE_PLAN_ID, getPaidPlan, planName, plansOf } from './plans.js';
import { applyDueLapses, refreshSubscription } from './subscriptions.js';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
/** A status read asks the provider again at most this often per invoice. */
const REFRESH_INTERVAL_MS = 3000;

type InvoiceRow = InvoicesTable;
type PaymentRow = InvoicePaymentsTable;

export interface PaymentDeps {
  config: Config;
  db: Db;
  clock: Clock;
  /** Absent: plans are listed, but invoices cannot be created (PAYMENTS_DISABLED). */
  provider?: PaymentProvider | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Whether an error is a lost race that a retry of the whole unit resolves. */
function isRetryable(error: unknown): boolean {
  if (error instanceof AlreadyPostedError || isUniqueViolation(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  // PostgreSQL serialization failure and deadlock; SQLite busy.
  return code === '40001' || code === '40P01' || code === 'SQLITE_BUSY';
}

/** Runs `fn` in a transaction, retrying the whole unit when it lost a race. */
export async function moneyTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (error) {
      if (attempt >= 8 || !isRetryable(error)) throw error;
    }
  }
}

/** The view of an invoice from what is stored (no provider call): used by expiry and the chain watcher. */
export function storedView(invoice: InvoiceRow, payments: readonly PaymentRow[]): ProviderInvoiceView {
  let verdict: ProviderVerdict = 'none';
  if (invoice.additional_status === 'marked') {
    verdict =
      invoice.status === 'invalid'
        ? 'markedInvalid'
        : invoice.status === 'settled'
          ? 'markedSettled'
          : 'none';
  } else if (invoice.status === 'invalid' && invoice.provider === 'btcpay') {
    verdict = 'invalid';
  }
  return {
    providerInvoiceId: invoice.provider_invoice_id,
    amountSats: invoice.amount_sats,
    verdict,
    providerStatus: 'stored',
    payments: payments.map((p) => ({
      paymentId: p.payment_id,
      amountSats: p.amount_sats,
      state: p.state === 'credited' ? 'confirmed' : p.state === 'pending' ? 'pending' : 'invalid',
      receivedAt: p.seen_at,
      blockHash: p.block_hash,
      blockHeight: p.block_height,
    })),
  };
}

function paymentToWire(p: PaymentRow): InvoicePayment {
  return {
    paymentId: p.payment_id,
    amountSats: p.amount_sats,
    state: p.state,
    late: p.late === 1,
    seenAt: iso(p.seen_at),
  };
}

export function invoiceToWire(row: InvoiceRow, payments: readonly PaymentRow[]): Invoice {
  const due = Math.max(0, row.amount_sats - row.paid_sats - row.pending_sats);
  return {
    invoiceId: row.id as Invoice['invoiceId'],
    planId: row.plan_id,
    provider: row.provider,
    status: row.status,
    additionalStatus: row.additional_status,
    amountSats: row.amount_sats,
    paidSats: row.paid_sats,
    pendingSats: row.pending_sats,
    dueSats: row.status === 'settled' ? 0 : due,
    overpaidSats: Math.max(0, row.paid_sats - row.amount_sats),
    address: row.address,
    bip21: row.bip21,
    lightning: row.lightning,
    checkoutLink: row.checkout_link,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    settledAt: row.settled_at === null ? null : iso(row.settled_at),
    payments: payments.map(paymentToWire),
  };
}

export class PaymentService {
  readonly #deps: PaymentDeps;

  constructor(deps: PaymentDeps) {
    this.#deps = deps;
  }

  get provider(): PaymentProvider | undefined {
    return this.#deps.provider;
  }

  plans(): PlansResponse {
    return { plans: plansOf(this.#deps.config), paymentsEnabled: this.#deps.provider !== undefined };
  }

  /** The account's plan, quota and usage, with a notice ahead of a lapse. */
  async accountPlan(userId: string): Promise<AccountPlan> {
    const { db, clock, config } = this.#deps;
    const now = clock.now();
    await applyDueLapses(db, now, userId);
    const user = await db
      .selectFrom('users')
      .select(['quota_bytes', 'used_bytes', 'reserved_bytes'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) throw new AppError('UNAUTHENTICATED');
    const sub = await db
      .selectFrom('plan_subscriptions')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const active = sub !== undefined && sub.expires_at > now;
    let notice: string | null = null;
    if (sub && active && sub.expires_at - now <= config.planReminderDays * DAY_MS) {
      const days = Math.max(1, Math.ceil((sub.expires_at - now) / DAY_MS));
      notice =
        `your ${planName(config, sub.plan_id)} plan ends on ${iso(sub.expires_at)} (in ${days} day${days === 1 ? '' : 's'}); ` +
        `then the quota falls back to the free ${config.freeQuotaBytes} bytes (nothing is deleted, but uploads over it are refused): ` +
        `renew with \`hoard upgrade ${sub.plan_id}\``;
    } else if (sub && !active && user.used_bytes > user.quota_bytes) {
      notice =
        `your ${planName(config, sub.plan_id)} plan ended on ${iso(sub.expires_at)}: you use more than the free quota, ` +
        `so uploads are refused until you free space or renew with \`hoard upgrade ${sub.plan_id}\``;
    }
    const planId = active ? sub.plan_id : FREE_PLAN_ID;
    return {
      plan: planId,
      planName: planName(config, planId),
      planExpiresAt: active ? iso(sub.expires_at) : null,
      quotaBytes: user.quota_bytes,
      usedBytes: user.used_bytes,
      reservedBytes: user.reserved_bytes,
      freeQuotaBytes: config.freeQuotaBytes,
      notice,
    };
  }

  /** Creates an invoice for one period of `planId`. */
  async createInvoice(userId: string, planId: string): Promise<Invoice> {
    const { db, clock, config } = this.#deps;
    const plan: Plan = getPaidPlan(config, planId);
    const provider = this.#deps.provider;
    if (!provider)
      throw new AppError(
        'PAYMENTS_DISABLED',
        'this server takes no payments (no payment provider is configured)',
      );
    const now = clock.now();
    const recent = await db
      .selectFrom('invoices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('created_at', '>', now - HOUR_MS)
      .executeTakeFirst();
    if (Number(recent?.n ?? 0) >= config.invoicesPerHour) {
      throw new AppError('RATE_LIMITED', 'too many invoices in the last hour; pay or wait for an open one', {
        retryAfterSeconds: 3600,
      });
    }
    const id = randomId();
    const expiresAt = now + config.invoiceTtlMinutes * 60_000;
    let created;
    try {
      created = await provider.createInvoice({
        invoiceId: id,
        amountSats: plan.priceSats,
        expiresAt,
        description: `Hoard ${plan.name}, ${plan.periodDays} days`,
      });
    } catch (error) {
      if (error instanceof ProviderUnavailableError || error instanceof ProviderRejectedError) {
        throw new AppError('UNAVAILABLE', 'the payment provider is not reachable; try again shortly', {
          cause: error,
          retryAfterSeconds: 30,
        });
      }
      throw error;
    }
    const row: InvoiceRow = {
      id,
      user_id: userId,
      plan_id: plan.id,
      plan_quota_bytes: plan.quotaBytes,
      plan_period_days: plan.periodDays,
      provider: provider.kind,
      provider_invoice_id: created.providerInvoiceId,
      amount_sats: plan.priceSats,
      paid_sats: 0,
      pending_sats: 0,
      status: 'new',
      additional_status: 'none',
      address: created.address,
      bip21: created.bip21,
      lightning: created.lightning,
      checkout_link: created.checkoutLink,
      derivation_index: created.derivationIndex,
      settle_count: 0,
      period_id: null,
      created_at: now,
      expires_at: created.expiresAt,
      settled_at: null,
      updated_at: now,
      synced_at: now,
    };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('invoices').values(row).execute();
      await audit(
        trx,
        {
          event: 'invoice.created',
          userId,
          invoiceId: id,
          amountSats: plan.priceSats,
          details: { planId: plan.id, provider: provider.kind, providerInvoiceId: created.providerInvoiceId },
        },
        now,
      );
    });
    return invoiceToWire(row, []);
  }

  async listInvoices(userId: string): Promise<Invoice[]> {
    const { db } = this.#deps;
    const rows = await db
      .selectFrom('invoices')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(500)
      .execute();
    const payments = await this.#paymentsOf(rows.map((r) => r.id));
    return rows.map((r) => invoiceToWire(r, payments.get(r.id) ?? []));
  }

  /**
   * One invoice of `userId` (NOT_FOUND for another account's: same answer as a missing one). An
   * open invoice is refreshed from the provider first, at most every few seconds; a provider that
   * is down leaves the stored state.
   */
  async getInvoice(userId: string, invoiceId: string): Promise<Invoice> {
    const { db, clock } = this.#deps;
    const row = await db
      .selectFrom('invoices')
      .selectAll()
      .where('id', '=', invoiceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'no such invoice');
    const open = row.status === 'new' || row.status === 'processing';
    if (
      open &&
      this.#deps.provider?.kind === row.provider &&
      clock.now() - row.synced_at >= REFRESH_INTERVAL_MS
    ) {
      try {
        await this.refresh(row.id);
      } catch (error) {
        if (!(error instanceof ProviderUnavailableError || error instanceof ProviderRejectedError))
          throw error;
      }
    }
    return this.#wire(invoiceId);
  }

  /** The stored invoice by Hoard id, for the operator and tests. */
  async findInvoiceRow(invoiceId: string): Promise<InvoiceRow | undefined> {
    return this.#deps.db.selectFrom('invoices').selectAll().where('id', '=', invoiceId).executeTakeFirst();
  }

  async findInvoiceByProviderId(
    kind: 'btcpay' | 'watch',
    providerInvoiceId: string,
  ): Promise<InvoiceRow | undefined> {
    return this.#deps.db
      .selectFrom('invoices')
      .selectAll()
      .where('provider', '=', kind)
      .where('provider_invoice_id', '=', providerInvoiceId)
      .executeTakeFirst();
  }

  /** Asks the provider about an invoice and reconciles. Throws ProviderUnavailableError on doubt. */
  async refresh(invoiceId: string): Promise<void> {
    const provider = this.#deps.provider;
    const row = await this.findInvoiceRow(invoiceId);
    if (!provider || !row || row.provider !== provider.kind) return;
    const view = await provider.readInvoice({
      id: row.id,
      providerInvoiceId: row.provider_invoice_id,
      address: row.address,
      derivationIndex: row.derivation_index,
      amountSats: row.amount_sats,
    });
    await this.reconcile(invoiceId, view, 'provider');
  }

  /** Reconciles an invoice with what is stored only (time passing: expiry). */
  async reconcileStored(invoiceId: string): Promise<void> {
    const row = await this.findInvoiceRow(invoiceId);
    if (!row) return;
    const payments = (await this.#paymentsOf([invoiceId])).get(invoiceId) ?? [];
    await this.reconcile(invoiceId, storedView(row, payments), 'stored');
  }

  /** Expires unpaid invoices whose time is up; returns how many changed. */
  async expireDue(): Promise<number> {
    const { db, clock } = this.#deps;
    const due = await db
      .selectFrom('invoices')
      .select('id')
      .where('status', '=', 'new')
      .where('expires_at', '<=', clock.now())
      .limit(1000)
      .execute();
    for (const { id } of due) await this.reconcileStored(id);
    return due.length;
  }

  /**
   * Brings the stored invoice in line with the provider's view, in one transaction (see the
   * module header). Idempotent: the same view twice changes nothing the second time.
   */
  async reconcile(invoiceId: string, view: ProviderInvoiceView, source: string): Promise<void> {
    const { config, clock } = this.#deps;
    await moneyTransaction(this.#deps.db, async (trx) => {
      const now = clock.now();
      const owner = await trx
        .selectFrom('invoices')
        .select('user_id')
        .where('id', '=', invoiceId)
        .executeTakeFirst();
      if (!owner) return;
      // [Note: money locking]: the account, then the invoice.
      await trx
        .updateTable('users')
        .set({ quota_bytes: sql<number>`quota_bytes` })
        .where('id', '=', owner.user_id)
        .execute();
      await trx.updateTable('invoices').set({ synced_at: now }).where('id', '=', invoiceId).execute();
      const invoice = await trx
        .selectFrom('invoices')
        .selectAll()
        .where('id', '=', invoiceId)
        .executeTakeFirstOrThrow();
      if (view.amountSats !== invoice.amount_sats || view.providerInvoiceId !== invoice.provider_invoice_id) {
        await audit(
          trx,
          {
            event: 'invoice.view_rejected',
            userId: invoice.user_id,
            invoiceId,
            amountSats: view.amountSats,
            details: { reason: 'the provider reports another amount or invoice', source },
          },
          now,
        );
        return;
      }
      const stored = await trx
        .selectFrom('invoice_payments')
        .selectAll()
        .where('invoice_id', '=', invoiceId)
        .execute();
      const byId = new Map(stored.map((p) => [p.payment_id, p]));
      const inView = new Set<string>();
      for (const payment of view.payments) {
        if (inView.has(payment.paymentId)) continue;
        inView.add(payment.paymentId);
        if (!Number.isSafeInteger(payment.amountSats) || payment.amountSats <= 0) continue;
        let row = byId.get(payment.paymentId);
        if (!row) {
          row = await this.#recordPayment(trx, invoice, payment, now);
          if (!row) continue;
        }
        const target: PaymentStateColumn =
          payment.state === 'confirmed'
            ? 'credited'
            : payment.state === 'pending'
              ? 'pending'
              : row.state === 'credited' || row.state === 'reversed'
                ? 'reversed'
                : 'invalid';
        await this.#transition(trx, invoice, row, target, payment, now);
      }
      // A credited or pending payment the provider no longer lists was double-spent or replaced.
      for (const row of stored) {
        if (inView.has(row.payment_id)) continue;
        if (row.state === 'credited') await this.#transition(trx, invoice, row, 'reversed', undefined, now);
        else if (row.state === 'pending')
          await this.#transition(trx, invoice, row, 'invalid', undefined, now);
      }
      await this.#settle(trx, invoice, view.verdict, now, config.freeQuotaBytes);
    });
  }

  /** Grants `days` of `planId` to the account of `email` (operator), recorded in the ledger. */
  async grant(email: string, planId: string, days: number): Promise<{ userId: string; expiresAt: string }> {
    const { db, clock, config } = this.#deps;
    const plan = getPaidPlan(config, planId);
    if (!Number.isSafeInteger(days) || days < 1 || days > 3660) {
      throw new AppError('VALIDATION_FAILED', 'DAYS must be a whole number of days, 1..3660');
    }
    const user = await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
    if (!user) throw new AppError('NOT_FOUND', 'no account with that e-mail address');
    const value = Math.round((plan.priceSats * days) / plan.periodDays);
    return moneyTransaction(db, async (trx) => {
      const now = clock.now();
      await trx
        .updateTable('users')
        .set({ quota_bytes: sql<number>`quota_bytes` })
        .where('id', '=', user.id)
        .execute();
      const periodId = randomId();
      await trx
        .insertInto('plan_periods')
        .values({
          id: periodId,
          user_id: user.id,
          plan_id: plan.id,
          quota_bytes: plan.quotaBytes,
          days,
          source: 'grant',
          invoice_id: null,
          granted_at: now,
          revoked_at: null,
        })
        .execute();
      await post(
        trx,
        {
          idempotencyKey: `grant:${periodId}`,
          kind: 'grant',
          userId: user.id,
          invoiceId: null,
          entries: { [OPERATOR_GRANTS]: -value, [GRANTED]: value },
        },
        now,
      );
      const sub = await refreshSubscription(trx, user.id, config.freeQuotaBytes, now);
      await audit(
        trx,
        {
          event: 'plan.granted',
          userId: user.id,
          amountSats: value,
          details: { planId: plan.id, days, periodId },
        },
        now,
      );
      return { userId: user.id, expiresAt: iso(sub?.expiresAt ?? now) };
    });
  }

  async #wire(invoiceId: string): Promise<Invoice> {
    const row = await this.findInvoiceRow(invoiceId);
    if (!row) throw new AppError('NOT_FOUND', 'no such invoice');
    return invoiceToWire(row, (await this.#paymentsOf([invoiceId])).get(invoiceId) ?? []);
  }

  async #paymentsOf(invoiceIds: readonly string[]): Promise<Map<string, PaymentRow[]>> {
    const map = new Map<string, PaymentRow[]>();
    if (invoiceIds.length === 0) return map;
    const rows = await this.#deps.db
      .selectFrom('invoice_payments')
      .selectAll()
      .where('invoice_id', 'in', invoiceIds)
      .orderBy('seen_at')
      .orderBy('payment_id')
      .execute();
    for (const row of rows) {
      const list = map.get(row.invoice_id) ?? [];
      list.push(row);
      map.set(row.invoice_id, list);
    }
    return map;
  }

  /** Records a payment seen for the first time; undefined when its id belongs to another invoice. */
  async #recordPayment(
    trx: Db,
    invoice: InvoiceRow,
    payment: ProviderPayment,
    now: number,
  ): Promise<PaymentRow | undefined> {
    const elsewhere = await trx
      .selectFrom('invoice_payments')
      .select('invoice_id')
      .where('provider', '=', invoice.provider)
      .where('payment_id', '=', payment.paymentId)
      .executeTakeFirst();
    if (elsewhere) {
      await audit(
        trx,
        {
          event: 'payment.conflict',
          invoiceId: invoice.id,
          details: { paymentId: payment.paymentId, recordedFor: elsewhere.invoice_id },
        },
        now,
      );
      return undefined;
    }
    const row: PaymentRow = {
      provider: invoice.provider,
      payment_id: payment.paymentId,
      invoice_id: invoice.id,
      amount_sats: payment.amountSats,
      state: 'pending',
      late: payment.receivedAt > invoice.expires_at || invoice.status === 'expired' ? 1 : 0,
      block_hash: payment.blockHash,
      block_height: payment.blockHeight,
      credit_count: 0,
      seen_at: now,
      updated_at: now,
    };
    await trx.insertInto('invoice_payments').values(row).execute();
    await audit(
      trx,
      {
        event: 'payment.seen',
        userId: invoice.user_id,
        invoiceId: invoice.id,
        amountSats: payment.amountSats,
        details: { paymentId: payment.paymentId, late: row.late === 1 },
      },
      now,
    );
    return row;
  }

  async #transition(
    trx: Db,
    invoice: InvoiceRow,
    row: PaymentRow,
    target: PaymentStateColumn,
    payment: ProviderPayment | undefined,
    now: number,
  ): Promise<void> {
    const blockHash = payment ? payment.blockHash : row.block_hash;
    const blockHeight = payment ? payment.blockHeight : row.block_height;
    const where = (q: Db) =>
      q
        .updateTable('invoice_payments')
        .where('provider', '=', row.provider)
        .where('payment_id', '=', row.payment_id);
    if (row.state === target) {
      if (blockHash !== row.block_hash || blockHeight !== row.block_height) {
        await where(trx).set({ block_hash: blockHash, block_height: blockHeight, updated_at: now }).execute();
      }
      return;
    }
    const user = userAccount(invoice.user_id);
    const base = { userId: invoice.user_id, invoiceId: invoice.id };
    let creditCount = row.credit_count;
    if (target === 'credited') {
      creditCount += 1;
      await post(
        trx,
        {
          ...base,
          idempotencyKey: `credit:${row.provider}:${row.payment_id}:${creditCount}`,
          kind: 'payment',
          entries: { [WORLD]: -row.amount_sats, [user]: row.amount_sats },
        },
        now,
      );
    } else if (row.state === 'credited') {
      await post(
        trx,
        {
          ...base,
          idempotencyKey: `reverse:${row.provider}:${row.payment_id}:${creditCount}`,
          kind: 'reversal',
          entries: { [WORLD]: row.amount_sats, [user]: -row.amount_sats },
        },
        now,
      );
    }
    await where(trx)
      .set({
        state: target,
        credit_count: creditCount,
        block_hash: blockHash,
        block_height: blockHeight,
        updated_at: now,
      })
      .execute();
    const event =
      target === 'credited'
        ? 'payment.credited'
        : row.state === 'credited'
          ? 'payment.reversed'
          : `payment.${target}`;
    await audit(
      trx,
      {
        event,
        userId: invoice.user_id,
        invoiceId: invoice.id,
        amountSats: row.amount_sats,
        details: { paymentId: row.payment_id, from: row.state, to: target, blockHash },
      },
      now,
    );
  }

  /** Totals, status, and the plan period the invoice buys (or no longer buys). */
  async #settle(
    trx: Db,
    invoice: InvoiceRow,
    verdict: ProviderVerdict,
    now: number,
    freeQuotaBytes: number,
  ): Promise<void> {
    const payments = await trx
      .selectFrom('invoice_payments')
      .selectAll()
      .where('invoice_id', '=', invoice.id)
      .execute();
    let paid = 0;
    let pending = 0;
    let anyLate = false;
    let anyInvalid = false;
    for (const p of payments) {
      if (p.state === 'credited') paid += p.amount_sats;
      if (p.state === 'pending') pending += p.amount_sats;
      if ((p.state === 'credited' || p.state === 'pending') && p.late === 1) anyLate = true;
      if (p.state === 'invalid' || p.state === 'reversed') anyInvalid = true;
    }
    const next = invoiceStatus({
      amountSats: invoice.amount_sats,
      paidSats: paid,
      pendingSats: pending,
      anyLate,
      anyInvalid,
      expired: now >= invoice.expires_at,
      verdict,
    });
    const user = userAccount(invoice.user_id);
    const base = { userId: invoice.user_id, invoiceId: invoice.id };
    let { period_id: periodId, settle_count: settleCount, settled_at: settledAt } = invoice;
    let periodsChanged = false;
    if (next.status === 'settled' && periodId === null) {
      settleCount += 1;
      const waived = invoice.amount_sats - Math.min(paid, invoice.amount_sats);
      if (waived > 0) {
        await post(
          trx,
          {
            ...base,
            idempotencyKey: `marked:${invoice.id}:${settleCount}`,
            kind: 'marked',
            entries: { [OPERATOR_MARKED]: -waived, [user]: waived },
          },
          now,
        );
      }
      await post(
        trx,
        {
          ...base,
          idempotencyKey: `purchase:${invoice.id}:${settleCount}`,
          kind: 'purchase',
          entries: { [user]: -invoice.amount_sats, [REVENUE]: invoice.amount_sats },
        },
        now,
      );
      periodId = randomId();
      await trx
        .insertInto('plan_periods')
        .values({
          id: periodId,
          user_id: invoice.user_id,
          plan_id: invoice.plan_id,
          quota_bytes: invoice.plan_quota_bytes,
          days: invoice.plan_period_days,
          source: 'invoice',
          invoice_id: invoice.id,
          granted_at: now,
          revoked_at: null,
        })
        .execute();
      settledAt = now;
      periodsChanged = true;
      await audit(
        trx,
        {
          ...base,
          event: 'plan.purchased',
          amountSats: invoice.amount_sats,
          details: {
            planId: invoice.plan_id,
            periodId,
            waivedSats: waived,
            additionalStatus: next.additionalStatus,
          },
        },
        now,
      );
    } else if (next.status !== 'settled' && periodId !== null) {
      await post(
        trx,
        {
          ...base,
          idempotencyKey: `purchase_reversal:${invoice.id}:${settleCount}`,
          kind: 'purchase_reversal',
          entries: { [user]: invoice.amount_sats, [REVENUE]: -invoice.amount_sats },
        },
        now,
      );
      const marked = await trx
        .selectFrom('ledger_transactions')
        .innerJoin('ledger_entries', 'ledger_entries.transaction_id', 'ledger_transactions.id')
        .select('ledger_entries.amount_sats')
        .where('ledger_transactions.idempotency_key', '=', `marked:${invoice.id}:${settleCount}`)
        .where('ledger_entries.account', '=', OPERATOR_MARKED)
        .executeTakeFirst();
      if (marked) {
        await post(
          trx,
          {
            ...base,
            idempotencyKey: `marked_reversal:${invoice.id}:${settleCount}`,
            kind: 'marked',
            entries: { [OPERATOR_MARKED]: -marked.amount_sats, [user]: marked.amount_sats },
          },
          now,
        );
      }
      await trx.updateTable('plan_periods').set({ revoked_at: now }).where('id', '=', periodId).execute();
      await audit(
        trx,
        {
          ...base,
          event: 'plan.revoked',
          amountSats: invoice.amount_sats,
          details: { periodId, status: next.status },
        },
        now,
      );
      periodId = null;
      settledAt = null;
      periodsChanged = true;
    }
    const changed = next.status !== invoice.status || next.additionalStatus !== invoice.additional_status;
    await trx
      .updateTable('invoices')
      .set({
        paid_sats: paid,
        pending_sats: pending,
        status: next.status,
        additional_status: next.additionalStatus,
        period_id: periodId,
        settle_count: settleCount,
        settled_at: settledAt,
        updated_at: now,
      })
      .where('id', '=', invoice.id)
      .execute();
    if (changed) {
      await audit(
        trx,
        {
          ...base,
          event: 'invoice.status',
          amountSats: paid,
          details: {
            from: `${invoice.status}/${invoice.additional_status}`,
            to: `${next.status}/${next.additionalStatus}`,
            pendingSats: pending,
          },
        },
        now,
      );
    }
    if (periodsChanged) await refreshSubscription(trx, invoice.user_id, freeQuotaBytes, now);
  }
}
