import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { parseConfig } from '../../config.js';
import type { Db } from '../../db/schema.js';
import { createTestDatabase } from '../../testing/test-database.js';
import { invoiceStatus } from './invoice-status.js';
import { post, REVENUE, UnbalancedPostingError, WORLD } from './ledger.js';
import type { ProviderInvoiceView, ProviderPayment, ProviderVerdict } from './payment-provider.js';
import { PaymentService } from './payment-service.js';
import type { InvoicesTable } from './payments-schema.js';
import { bip21Uri, btcToSats, NotSatsError, satsToBtc } from './sats.js';

const PRICE = 1_000;
const config = parseConfig({
  freeQuotaBytes: 100,
  plans: [{ id: 'pro', name: 'Pro', quotaBytes: 1_000, priceSats: PRICE, periodDays: 30 }],
});

type Op =
  | { kind: 'pay'; invoice: number; amount: number }
  | { kind: 'confirm' | 'reorg' | 'doubleSpend' | 'invalid'; invoice: number; payment: number }
  | { kind: 'replay'; invoice: number }
  | { kind: 'mark'; invoice: number; verdict: ProviderVerdict }
  | { kind: 'expire' };

const invoiceIndex = fc.integer({ min: 0, max: 2 });
const paymentIndex = fc.integer({ min: 0, max: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('pay' as const),
    invoice: invoiceIndex,
    amount: fc.integer({ min: 1, max: 1_500 }),
  }),
  fc.record({
    kind: fc.constantFrom('confirm' as const, 'reorg' as const, 'doubleSpend' as const, 'invalid' as const),
    invoice: invoiceIndex,
    payment: paymentIndex,
  }),
  fc.record({ kind: fc.constant('replay' as const), invoice: invoiceIndex }),
  fc.record({
    kind: fc.constant('mark' as const),
    invoice: invoiceIndex,
    verdict: fc.constantFrom<ProviderVerdict>('none', 'markedSettled', 'markedInvalid', 'invalid'),
  }),
  fc.record({ kind: fc.constant('expire' as const) }),
);

async function seedInvoice(db: Db, id: string, userId: string, now: number): Promise<void> {
  const row: InvoicesTable = {
    id,
    user_id: userId,
    plan_id: 'pro',
    plan_quota_bytes: 1_000,
    plan_period_days: 30,
    provider: 'btcpay',
    provider_invoice_id: `p-${id}`,
    amount_sats: PRICE,
    paid_sats: 0,
    pending_sats: 0,
    status: 'new',
    additional_status: 'none',
    address: `addr-${id}`,
    bip21: `bitcoin:addr-${id}`,
    lightning: null,
    checkout_link: null,
    derivation_index: null,
    settle_count: 0,
    period_id: null,
    created_at: now,
    expires_at: now + 3600_000,
    settled_at: null,
    updated_at: now,
    synced_at: now,
  };
  await db.insertInto('invoices').values(row).execute();
}

describe('the ledger', () => {
  it('keeps every balance summing to zero through random payments, replays, reorgs, double spends, marks and expiries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const testDb = await createTestDatabase('sqlite');
        const db = testDb.db;
        try {
          const clock = new ManualClock();
          const service = new PaymentService({ config, db, clock });
          const ids = ['inv0aaaaaaaaaaaaaaaaaa', 'inv1aaaaaaaaaaaaaaaaaa', 'inv2aaaaaaaaaaaaaaaaaa'];
          const users = ['userAaaaaaaaaaaaaaaaaa', 'userAaaaaaaaaaaaaaaaaa', 'userBbbbbbbbbbbbbbbbbb'];
          for (const [i, id] of ids.entries()) await seedInvoice(db, id, users[i] ?? '', clock.now());
          const views: { payments: ProviderPayment[]; verdict: ProviderVerdict }[] = ids.map(() => ({
            payments: [],
            verdict: 'none',
          }));
          let serial = 0;
          for (const o of ops) {
            if (o.kind === 'expire') {
              clock.advance(2 * 3600_000);
              await service.expireDue();
              continue;
            }
            const model = views[o.invoice];
            if (!model) continue;
            const target =
              'payment' in o ? model.payments[o.payment % Math.max(1, model.payments.length)] : undefined;
            switch (o.kind) {
              case 'pay':
                model.payments.push({
                  paymentId: `tx${serial++}`,
                  amountSats: o.amount,
                  state: 'pending',
                  receivedAt: clock.now(),
                  blockHash: null,
                  blockHeight: null,
                });
                break;
              case 'confirm':
                if (target) target.state = 'confirmed';
                break;
              case 'reorg':
                if (target) target.state = 'pending';
                break;
              case 'invalid':
                if (target) target.state = 'invalid';
                break;
              case 'doubleSpend':
                if (target) model.payments.splice(model.payments.indexOf(target), 1);
                break;
              case 'mark':
                model.verdict = o.verdict;
                break;
              case 'replay':
                break;
            }
            const view: ProviderInvoiceView = {
              providerInvoiceId: `p-${ids[o.invoice] ?? ''}`,
              amountSats: PRICE,
              payments: model.payments.map((p) => ({ ...p })),
              verdict: model.verdict,
              providerStatus: 'test',
            };
            await service.reconcile(ids[o.invoice] ?? '', view, 'test');
            if (o.kind === 'replay') await service.reconcile(ids[o.invoice] ?? '', view, 'test');
          }
          // Every transaction balances, and so does the whole ledger.
          const sums = await db
            .selectFrom('ledger_entries')
            .select(['transaction_id', (eb) => eb.fn.sum<number>('amount_sats').as('sum')])
            .groupBy('transaction_id')
            .execute();
          expect(sums.every((s) => Number(s.sum) === 0)).toBe(true);
          const balances = new Map(
            (
              await db
                .selectFrom('ledger_entries')
                .select(['account', (eb) => eb.fn.sum<number>('amount_sats').as('b')])
                .groupBy('account')
                .execute()
            ).map((r) => [r.account, Number(r.b)]),
          );
          expect([...balances.values()].reduce((a, b) => a + b, 0)).toBe(0);
          // What came in is exactly what is credited now; what was sold is exactly what is settled.
          const payments = await db.selectFrom('invoice_payments').selectAll().execute();
          const credited = payments
            .filter((p) => p.state === 'credited')
            .reduce((a, p) => a + p.amount_sats, 0);
          expect((balances.get(WORLD) ?? 0) + credited).toBe(0);
          const invoices = await db.selectFrom('invoices').selectAll().execute();
          const sold = invoices.filter((i) => i.period_id !== null).length * PRICE;
          expect(balances.get(REVENUE) ?? 0).toBe(sold);
          for (const [i, id] of ids.entries()) {
            const inv = invoices.find((r) => r.id === id);
            const model = views[i];
            if (!inv || !model) throw new Error('missing invoice');
            expect(inv.status === 'settled').toBe(inv.period_id !== null);
            // A payment is credited exactly when the provider says it is confirmed.
            for (const p of payments.filter((r) => r.invoice_id === id)) {
              const seen = model.payments.find((m) => m.paymentId === p.payment_id);
              expect(p.state === 'credited').toBe(seen?.state === 'confirmed');
            }
            const periods = await db
              .selectFrom('plan_periods')
              .selectAll()
              .where('invoice_id', '=', id)
              .execute();
            expect(periods.filter((p) => p.revoked_at === null).length).toBe(inv.period_id === null ? 0 : 1);
          }
        } finally {
          await testDb.destroy();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a posting that does not balance or is not whole satoshis, and posts a key once', async () => {
    const testDb = await createTestDatabase('sqlite');
    const db = testDb.db;
    try {
      const base = { idempotencyKey: 'k', kind: 'payment' as const, userId: null, invoiceId: null };
      await expect(post(db, { ...base, entries: { a: 1, b: -2 } }, 0)).rejects.toThrow(
        UnbalancedPostingError,
      );
      await expect(post(db, { ...base, entries: { a: 0.5, b: -0.5 } }, 0)).rejects.toThrow(
        UnbalancedPostingError,
      );
      expect(await post(db, { ...base, entries: { a: 5, b: -5 } }, 0)).toBe(true);
      expect(await post(db, { ...base, entries: { a: 5, b: -5 } }, 0)).toBe(false);
      expect(await db.selectFrom('ledger_entries').selectAll().execute()).toHaveLength(2);
    } finally {
      await testDb.destroy();
    }
  });
});

describe('satoshis', () => {
  it('converts BTC decimals exactly and refuses what is not whole satoshis', () => {
    expect(btcToSats('0.0005')).toBe(50_000);
    expect(btcToSats('21000000')).toBe(2_100_000_000_000_000);
    expect(btcToSats('0.00000001')).toBe(1);
    for (const bad of ['0.000000001', '-1', '1e-8', '', '0.1.2', ' 1', 'NaN', '21000000.00000001']) {
      expect(() => btcToSats(bad), bad).toThrow(NotSatsError);
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_100_000_000_000_000 }),
        (sats) => btcToSats(satsToBtc(sats)) === sats,
      ),
    );
    expect(bip21Uri('bc1qexample', 50_000, { lightning: 'lnbc1' })).toBe(
      'bitcoin:bc1qexample?amount=0.0005&lightning=lnbc1',
    );
  });
});

describe('the invoice state machine', () => {
  const base = {
    amountSats: 100,
    paidSats: 0,
    pendingSats: 0,
    anyLate: false,
    anyInvalid: false,
    expired: false,
    verdict: 'none' as const,
  };
  it.each([
    [{}, 'new', 'none'],
    [{ pendingSats: 40 }, 'new', 'paidPartial'],
    [{ pendingSats: 100 }, 'processing', 'none'],
    [{ paidSats: 60, pendingSats: 60 }, 'processing', 'paidOver'],
    [{ paidSats: 100 }, 'settled', 'none'],
    [{ paidSats: 130 }, 'settled', 'paidOver'],
    [{ paidSats: 100, anyLate: true }, 'settled', 'paidLate'],
    [{ expired: true }, 'expired', 'none'],
    [{ expired: true, paidSats: 20 }, 'expired', 'paidPartial'],
    [{ expired: true, anyInvalid: true }, 'invalid', 'invalid'],
    [{ verdict: 'markedSettled' as const }, 'settled', 'marked'],
    [{ paidSats: 100, verdict: 'markedInvalid' as const }, 'invalid', 'marked'],
    [{ verdict: 'invalid' as const }, 'invalid', 'invalid'],
  ])('%j -> %s/%s', (input, status, additionalStatus) => {
    expect(invoiceStatus({ ...base, ...input })).toEqual({ status, additionalStatus });
  });
});
