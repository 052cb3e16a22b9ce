// The one contract suite both PaymentProviders pass (btcpay against the local Greenfield server,
// watch against the local Esplora chain): run it from each provider's test file with
// `describePaymentProviderContract('btcpay', makeHarness)`. It drives payments through the
// provider's world (pay, confirm, double-spend, expire) and checks what Hoard makes of them through
// the real app: invoice states, quota, plan periods, and a ledger that always balances.
import type { ErrorBody, Invoice } from '@hoard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../clock.js';
import type { Dialect } from '../../db/database.js';
import type { Db } from '../../db/schema.js';
import { signUp, type TestAccount, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-database.js';
import { balances, REVENUE, userAccount, WORLD } from './ledger.js';
import type { PaymentService } from './payment-service.js';

export const DAY_MS = 24 * 3600 * 1000;
export const FREE_QUOTA = 1_000_000;
export const PRO = { id: 'pro', name: 'Pro', quotaBytes: 1_000_000_000, priceSats: 50_000, periodDays: 30 };
export const contractConfig = {
  freeQuotaBytes: FREE_QUOTA,
  plans: [PRO],
  invoiceTtlMinutes: 60,
  // Periods of 30 days pass in these tests; sessions must outlive them.
  sessionTtlSeconds: 400 * 24 * 3600,
};

/** One provider's world, wired to a test app. */
export interface ProviderHarness {
  t: TestApp;
  clock: ManualClock;
  service: PaymentService;
  /** A payment of `sats` to the invoice's address, seen but not confirmed; returns a handle. */
  pay(invoice: Invoice, sats: number): Promise<string>;
  /** Every pending payment to the invoice confirms (Hoard may learn it only at the next sync). */
  confirm(invoice: Invoice): Promise<void>;
  /** The payment is double-spent (or reorganized away for good). */
  invalidate(invoice: Invoice, handle: string): Promise<void>;
  /** Whatever makes Hoard look again (the watcher's tick; webhooks were delivered already). */
  sync(invoice: Invoice): Promise<void>;
  /** The provider is down (`true`) or up again. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export type MakeHarness = (dialect: Dialect) => Promise<ProviderHarness>;

/** Every ledger transaction balances, and so do all the balances together. */
export async function expectBalancedLedger(db: Db): Promise<Map<string, number>> {
  const unbalanced = await db
    .selectFrom('ledger_entries')
    .select(['transaction_id', (eb) => eb.fn.sum<number>('amount_sats').as('sum')])
    .groupBy('transaction_id')
    .execute();
  expect(unbalanced.filter((r) => Number(r.sum) !== 0)).toEqual([]);
  const all = await balances(db);
  expect([...all.values()].reduce((a, b) => a + b, 0)).toBe(0);
  return all;
}

export function describePaymentProviderContract(name: string, makeHarness: MakeHarness): void {
  describe.each(testDialects(process.env))(`PaymentProvider contract: ${name} on %s`, (dialect) => {
    let h: ProviderHarness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    async function setup(): Promise<{ h: ProviderHarness; account: TestAccount }> {
      h = await makeHarness(dialect);
      return { h, account: await signUp(h.t.app) };
    }

    async function createInvoice(harness: ProviderHarness, account: TestAccount): Promise<Invoice> {
      const res = await harness.t.app.inject({
        method: 'POST',
        url: '/invoices',
        headers: account.headers,
        payload: { planId: 'pro' },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ invoice: Invoice }>().invoice;
    }

    async function read(harness: ProviderHarness, account: TestAccount, invoice: Invoice): Promise<Invoice> {
      harness.clock.advance(5_000);
      const res = await harness.t.app.inject({
        url: `/invoices/${invoice.invoiceId}`,
        headers: account.headers,
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ invoice: Invoice }>().invoice;
    }

    async function plan(harness: ProviderHarness, account: TestAccount) {
      const res = await harness.t.app.inject({ url: '/account/plan', headers: account.headers });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ plan: { plan: string; quotaBytes: number; planExpiresAt: string | null } }>().plan;
    }

    const ledgerCount = async (db: Db) =>
      Number(
        (
          await db
            .selectFrom('ledger_transactions')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirst()
        )?.n,
      );

    it('creates invoices with a fresh address each, the amount in sats and a BIP21 URI', async () => {
      const { h, account } = await setup();
      const first = await createInvoice(h, account);
      const second = await createInvoice(h, account);
      expect(first.amountSats).toBe(PRO.priceSats);
      expect(first.status).toBe('new');
      expect(first.dueSats).toBe(PRO.priceSats);
      expect(first.bip21).toMatch(new RegExp(`^bitcoin:${first.address}\\?amount=0\\.0005(&|$)`));
      expect(Date.parse(first.expiresAt)).toBeGreaterThan(h.clock.now());
      expect(second.address).not.toBe(first.address);
      const unknown = await h.t.app.inject({
        method: 'POST',
        url: '/invoices',
        headers: account.headers,
        payload: { planId: 'platinum' },
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json<ErrorBody>().error.code).toBe('UNKNOWN_PLAN');
    });

    it('credits a full payment once it confirms and starts the plan period', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      await h.pay(invoice, PRO.priceSats);
      await h.sync(invoice);
      const seen = await read(h, account, invoice);
      expect(seen.status).toBe('processing');
      expect(seen.pendingSats).toBe(PRO.priceSats);
      expect(seen.paidSats).toBe(0);
      expect((await plan(h, account)).plan).toBe('free');

      await h.confirm(invoice);
      await h.sync(invoice);
      const settled = await read(h, account, invoice);
      expect(settled).toMatchObject({
        status: 'settled',
        additionalStatus: 'none',
        paidSats: PRO.priceSats,
        dueSats: 0,
      });
      const after = await plan(h, account);
      expect(after.plan).toBe('pro');
      expect(after.quotaBytes).toBe(PRO.quotaBytes);
      expect(Date.parse(after.planExpiresAt ?? '')).toBeGreaterThan(h.clock.now() + 29 * DAY_MS);
      const ledger = await expectBalancedLedger(h.t.db);
      expect(ledger.get(WORLD)).toBe(-PRO.priceSats);
      expect(ledger.get(REVENUE)).toBe(PRO.priceSats);
      expect(ledger.get(userAccount(account.userId)) ?? 0).toBe(0);
    });

    it('never credits twice: looking again and again changes nothing', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      await h.pay(invoice, PRO.priceSats);
      await h.confirm(invoice);
      await h.sync(invoice);
      const count = await ledgerCount(h.t.db);
      expect(count).toBe(2);
      for (let i = 0; i < 3; i++) {
        await h.sync(invoice);
        await h.service.refresh(invoice.invoiceId);
        await read(h, account, invoice);
      }
      expect(await ledgerCount(h.t.db)).toBe(count);
      expect((await expectBalancedLedger(h.t.db)).get(REVENUE)).toBe(PRO.priceSats);
    });

    it('shows the shortfall of an underpaid invoice and settles it after a top-up', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      await h.pay(invoice, 20_000);
      await h.confirm(invoice);
      await h.sync(invoice);
      const partial = await read(h, account, invoice);
      expect(partial).toMatchObject({
        status: 'new',
        additionalStatus: 'paidPartial',
        paidSats: 20_000,
        dueSats: 30_000,
      });
      expect((await plan(h, account)).plan).toBe('free');
      await h.pay(invoice, 30_000);
      await h.confirm(invoice);
      await h.sync(invoice);
      expect(await read(h, account, invoice)).toMatchObject({
        status: 'settled',
        paidSats: 50_000,
        dueSats: 0,
      });
      expect((await plan(h, account)).plan).toBe('pro');
      await expectBalancedLedger(h.t.db);
    });

    it('records an overpayment for the operator', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      await h.pay(invoice, 60_000);
      await h.confirm(invoice);
      await h.sync(invoice);
      expect(await read(h, account, invoice)).toMatchObject({
        status: 'settled',
        additionalStatus: 'paidOver',
        overpaidSats: 10_000,
      });
      const ledger = await expectBalancedLedger(h.t.db);
      expect(ledger.get(userAccount(account.userId))).toBe(10_000);
      expect(ledger.get(REVENUE)).toBe(PRO.priceSats);
    });

    it('expires an unpaid invoice and still credits a payment that arrives late', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      h.clock.advance(61 * 60_000);
      await h.service.expireDue();
      await h.sync(invoice);
      expect((await read(h, account, invoice)).status).toBe('expired');
      await h.pay(invoice, PRO.priceSats);
      await h.confirm(invoice);
      await h.sync(invoice);
      const late = await read(h, account, invoice);
      expect(late).toMatchObject({
        status: 'settled',
        additionalStatus: 'paidLate',
        paidSats: PRO.priceSats,
      });
      expect(late.payments.every((p) => p.late)).toBe(true);
      expect((await plan(h, account)).plan).toBe('pro');
      await expectBalancedLedger(h.t.db);
    });

    it('reverses the credit and the plan when a credited payment is double-spent', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      const handle = await h.pay(invoice, PRO.priceSats);
      await h.confirm(invoice);
      await h.sync(invoice);
      expect((await plan(h, account)).plan).toBe('pro');
      await h.invalidate(invoice, handle);
      await h.sync(invoice);
      const after = await read(h, account, invoice);
      expect(after.paidSats).toBe(0);
      expect(['new', 'invalid']).toContain(after.status);
      expect(after.payments.map((p) => p.state)).toEqual(['reversed']);
      const p = await plan(h, account);
      expect(p).toMatchObject({ plan: 'free', quotaBytes: FREE_QUOTA, planExpiresAt: null });
      const ledger = await expectBalancedLedger(h.t.db);
      expect(ledger.get(WORLD) ?? 0).toBe(0);
      expect(ledger.get(REVENUE) ?? 0).toBe(0);
      expect(ledger.get(userAccount(account.userId)) ?? 0).toBe(0);
    });

    it('stacks renewals, then lapses to the free quota and refuses uploads over it', async () => {
      const { h, account } = await setup();
      for (let i = 0; i < 2; i++) {
        const invoice = await createInvoice(h, account);
        await h.pay(invoice, PRO.priceSats);
        await h.confirm(invoice);
        await h.sync(invoice);
        expect((await read(h, account, invoice)).status).toBe('settled');
      }
      const stacked = await plan(h, account);
      expect(Date.parse(stacked.planExpiresAt ?? '')).toBeGreaterThan(h.clock.now() + 59 * DAY_MS);
      const big = {
        method: 'POST' as const,
        url: '/uploads',
        headers: account.headers,
        payload: { sizeBytes: FREE_QUOTA * 2 },
      };
      expect((await h.t.app.inject(big)).statusCode).toBe(201);
      h.clock.advance(61 * DAY_MS);
      expect(await plan(h, account)).toMatchObject({
        plan: 'free',
        quotaBytes: FREE_QUOTA,
        planExpiresAt: null,
      });
      const refused = await h.t.app.inject(big);
      expect(refused.statusCode).toBe(403);
      expect(refused.json<ErrorBody>().error.code).toBe('QUOTA_EXCEEDED');
      expect(refused.json<ErrorBody>().error.message).toMatch(/hoard upgrade PLAN/);
    });

    it('credits nothing while the provider is down, and catches up when it is back', async () => {
      const { h, account } = await setup();
      const invoice = await createInvoice(h, account);
      await h.pay(invoice, PRO.priceSats);
      h.setDown(true);
      await h.confirm(invoice);
      try {
        await h.sync(invoice);
      } catch {
        // a tick that fails is retried on the next one
      }
      const res = await h.t.app.inject({ url: `/invoices/${invoice.invoiceId}`, headers: account.headers });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ invoice: Invoice }>().invoice.paidSats).toBe(0);
      expect(await ledgerCount(h.t.db)).toBe(0);
      h.setDown(false);
      await h.sync(invoice);
      await h.service.refresh(invoice.invoiceId);
      expect((await read(h, account, invoice)).status).toBe('settled');
      await expectBalancedLedger(h.t.db);
    });
  });
}
