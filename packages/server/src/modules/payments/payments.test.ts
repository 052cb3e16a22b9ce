import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Invoice } from '@hoard/protocol';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runAdmin } from '../../admin/run-admin.js';
import { createApp } from '../../app.js';
import { ManualClock } from '../../clock.js';
import { configFromEnvironment, parseConfig } from '../../config.js';
import { openDatabase, sqlitePathIn } from '../../db/database.js';
import { MemoryBlobStore } from '../../testing/memory-blob-store.js';
import { createTestApp, signUp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-database.js';
import { contractConfig, DAY_MS, expectBalancedLedger, FREE_QUOTA, PRO } from './provider-contract.js';
import { makeBtcpayWorld, type BtcpayWorld } from './test-fixtures/btcpay-world.js';

describe.each(testDialects(process.env))('payment routes on %s', (dialect) => {
  let world: BtcpayWorld | undefined;
  let plain: TestApp | undefined;
  afterEach(async () => {
    await world?.close();
    await plain?.close();
    world = undefined;
    plain = undefined;
  });

  it('lists the plans without a session, the free plan first, prices in sats', async () => {
    plain = await createTestApp({ dialect, databaseUrl: process.env.DATABASE_URL, config: contractConfig });
    const res = await plain.app.inject({ url: '/plans' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      plans: [{ id: 'free', name: 'Free', quotaBytes: FREE_QUOTA, priceSats: 0, periodDays: 0 }, PRO],
      paymentsEnabled: false,
    });
    const account = await signUp(plain.app);
    const create = await plain.app.inject({
      method: 'POST',
      url: '/invoices',
      headers: account.headers,
      payload: { planId: 'pro' },
    });
    expect(create.statusCode).toBe(409);
    expect(create.json<{ error: { code: string } }>().error.code).toBe('PAYMENTS_DISABLED');
  });

  it('never shows one account the invoices of another', async () => {
    world = await makeBtcpayWorld(dialect);
    const alice = await signUp(world.t.app);
    const bob = await signUp(world.t.app);
    const res = await world.t.app.inject({
      method: 'POST',
      url: '/invoices',
      headers: alice.headers,
      payload: { planId: 'pro' },
    });
    const invoice = res.json<{ invoice: Invoice }>().invoice;
    const asBob = await world.t.app.inject({ url: `/invoices/${invoice.invoiceId}`, headers: bob.headers });
    expect(asBob.statusCode).toBe(404);
    const missing = await world.t.app.inject({ url: `/invoices/${'A'.repeat(22)}`, headers: bob.headers });
    expect(asBob.json()).toEqual(missing.json());
    expect((await world.t.app.inject({ url: '/invoices', headers: bob.headers })).json()).toEqual({
      invoices: [],
    });
    const mine = await world.t.app.inject({ url: '/invoices', headers: alice.headers });
    expect(mine.json<{ invoices: Invoice[] }>().invoices.map((i) => i.invoiceId)).toEqual([
      invoice.invoiceId,
    ]);
    expect((await world.t.app.inject({ url: '/invoices' })).statusCode).toBe(401);
    expect((await world.t.app.inject({ url: '/account/plan' })).statusCode).toBe(401);
  });

  it('answers bad input with a clear error: unknown plans, malformed plan ids, no body', async () => {
    world = await makeBtcpayWorld(dialect);
    const account = await signUp(world.t.app);
    const post = (payload: unknown) =>
      world?.t.app.inject({
        method: 'POST',
        url: '/invoices',
        headers: account.headers,
        payload: payload as object,
      });
    expect((await post({ planId: 'free' }))?.json<{ error: { code: string } }>().error.code).toBe(
      'UNKNOWN_PLAN',
    );
    expect((await post({ planId: 'gold' }))?.json<{ error: { message: string } }>().error.message).toMatch(
      /no plan "gold" is offered \(plans: pro\)/,
    );
    expect((await post({ planId: '../../etc' }))?.statusCode).toBe(400);
    expect((await post({ planId: 'pro', amountSats: 1.5 }))?.statusCode).toBe(201);
    expect((await post({}))?.statusCode).toBe(400);
  });

  it('tells the account ahead of a lapse how to renew', async () => {
    world = await makeBtcpayWorld(dialect, { config: { planReminderDays: 7 } });
    const account = await signUp(world.t.app);
    const res = await world.t.app.inject({
      method: 'POST',
      url: '/invoices',
      headers: account.headers,
      payload: { planId: 'pro' },
    });
    const invoice = res.json<{ invoice: Invoice }>().invoice;
    await world.pay(invoice, PRO.priceSats);
    await world.confirm(invoice);
    const plan = async () =>
      (await world?.t.app.inject({ url: '/account/plan', headers: account.headers }))?.json<{
        plan: { plan: string; notice: string | null; quotaBytes: number };
      }>().plan;
    expect(await plan()).toMatchObject({ plan: 'pro', notice: null, quotaBytes: PRO.quotaBytes });
    world.clock.advance(25 * DAY_MS);
    expect((await plan())?.notice).toMatch(/ends on .* \(in 5 days\).*hoard upgrade pro/);
  });

  it('loses nothing and counts nothing twice when the server dies in the middle of crediting', async () => {
    world = await makeBtcpayWorld(dialect);
    const account = await signUp(world.t.app);
    const res = await world.t.app.inject({
      method: 'POST',
      url: '/invoices',
      headers: account.headers,
      payload: { planId: 'pro' },
    });
    const invoice = res.json<{ invoice: Invoice }>().invoice;
    const db = world.t.db;
    // The crash: the last write of the credit (the plan period) fails after the ledger postings.
    if (dialect === 'sqlite') {
      await sql`create trigger crash before insert on plan_periods begin select raise(abort, 'crash'); end`.execute(
        db,
      );
    } else {
      await sql`create function crash() returns trigger as $$ begin raise exception 'crash'; end $$ language plpgsql`.execute(
        db,
      );
      await sql`create trigger crash before insert on plan_periods for each row execute function crash()`.execute(
        db,
      );
    }
    await world.pay(invoice, PRO.priceSats);
    world.setDown(false);
    await world.greenfield.confirm(
      (await world.service.findInvoiceRow(invoice.invoiceId))?.provider_invoice_id ?? '',
    );
    // The webhook for the confirmation failed (500): nothing of that credit was kept.
    expect(world.greenfield.deliveries.at(-1)?.status).toBe(500);
    expect(await db.selectFrom('ledger_transactions').selectAll().execute()).toEqual([]);
    expect((await world.service.findInvoiceRow(invoice.invoiceId))?.paid_sats).toBe(0);
    // After the restart, the next look (a redelivery, a status read) credits exactly once.
    await sql`drop trigger crash${dialect === 'postgres' ? sql` on plan_periods` : sql``}`.execute(db);
    const last = world.greenfield.deliveries.at(-1);
    await world.greenfield.redeliver(last?.deliveryId ?? '');
    await world.service.refresh(invoice.invoiceId);
    expect((await world.service.findInvoiceRow(invoice.invoiceId))?.status).toBe('settled');
    const ledger = await expectBalancedLedger(db);
    expect(ledger.get('world:bitcoin')).toBe(-PRO.priceSats);
    expect(ledger.get('revenue:plans')).toBe(PRO.priceSats);
  });
});

describe('payment settings', () => {
  it('reads the HOARD_* variables and refuses incoherent ones', () => {
    const env = {
      HOARD_PLANS: JSON.stringify([PRO]),
      HOARD_XPUB:
        'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs',
      HOARD_ESPLORA_URL: 'https://blockstream.info/api',
      HOARD_CONFIRMATIONS: '3',
      HOARD_CHAIN_POLL_SECONDS: '30',
    };
    const config = configFromEnvironment(env, []);
    expect(config).toMatchObject({
      plans: [PRO],
      network: 'mainnet',
      confirmations: 3,
      chainPollSeconds: 30,
    });
    expect(() =>
      configFromEnvironment(
        { ...env, HOARD_PLANS: '[{"id":"pro","name":"P","quotaBytes":1,"priceSats":0.5,"periodDays":30}]' },
        [],
      ),
    ).toThrow(/integer number of satoshis/);
    expect(() => configFromEnvironment({ ...env, HOARD_PLANS: 'not json' }, [])).toThrow(/JSON list/);
    expect(() =>
      configFromEnvironment(
        { ...env, HOARD_PLANS: '[{"id":"free","name":"F","quotaBytes":1,"priceSats":1,"periodDays":1}]' },
        [],
      ),
    ).toThrow(/built-in free plan/);
    expect(() => configFromEnvironment({ ...env, HOARD_NETWORK: 'testnet' }, [])).toThrow(
      /mainnet key but HOARD_NETWORK is testnet/,
    );
    expect(() => configFromEnvironment({ ...env, HOARD_BTCPAY_URL: 'https://btcpay.example' }, [])).toThrow(
      /needs all of/,
    );
    expect(() =>
      configFromEnvironment({ HOARD_BTCPAY_URL: 'https://b.example', HOARD_BTCPAY_API_KEY: 'k' }, []),
    ).toThrow(/HOARD_BTCPAY_STORE_ID/);
    expect(() => configFromEnvironment({ HOARD_XPUB: env.HOARD_XPUB }, [])).toThrow(
      /HOARD_ESPLORA_URL or HOARD_BITCOIND_RPC_URL/,
    );
  });
});

describe('hoard-server admin invoices and grant', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists invoices with their accounts, and grants a plan recorded in the ledger and the audit log', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hoard-pay-admin-'));
    const config = parseConfig({ ...contractConfig, dataDir });
    const clock = new ManualClock(Date.now());
    const { db } = await openDatabase({ sqlitePath: sqlitePathIn(dataDir) });
    const app = await createApp({ config, db, blobStore: new MemoryBlobStore(), clock });
    const account = await signUp(app, 'ada@example.com');
    await app.close();
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line) };

    expect(await runAdmin(config, ['grant', 'ada@example.com', 'pro', '10'], io, clock)).toBe(0);
    expect(out.join('\n')).toMatch(/granted 10 days of pro to ada@example.com/);
    const sub = await db.selectFrom('plan_subscriptions').selectAll().executeTakeFirstOrThrow();
    expect(sub).toMatchObject({
      user_id: account.userId,
      plan_id: 'pro',
      expires_at: clock.now() + 10 * DAY_MS,
    });
    const user = await db
      .selectFrom('users')
      .select('quota_bytes')
      .where('id', '=', account.userId)
      .executeTakeFirstOrThrow();
    expect(user.quota_bytes).toBe(PRO.quotaBytes);
    const ledger = await expectBalancedLedger(db);
    expect(ledger.get('operator:grants')).toBe(-Math.round((PRO.priceSats * 10) / 30));
    expect((await db.selectFrom('payment_audit').select('event').execute()).map((e) => e.event)).toEqual([
      'plan.granted',
    ]);
    await db.destroy();

    out.length = 0;
    expect(await runAdmin(config, ['invoices', '--json'], io, clock)).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual([]);
    expect(await runAdmin(config, ['grant', 'nobody@example.com', 'pro', '10'], io, clock)).toBe(1);
    expect(await runAdmin(config, ['grant', 'ada@example.com', 'gold', '10'], io, clock)).toBe(1);
    expect(err.join('\n')).toMatch(/no plan "gold"/);
    expect(await runAdmin(config, ['grant', 'ada@example.com', 'pro'], io, clock)).toBe(2);
    expect(await runAdmin(config, ['grant', 'ada@example.com', 'pro', '1.5'], io, clock)).toBe(2);
  });
});
