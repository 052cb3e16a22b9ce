import { join } from 'node:path';
import type { Invoice } from '@hoard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { signUp } from '../../../testing/test-app.js';
import { testDialects } from '../../../testing/test-database.js';
import { describePaymentProviderContract, expectBalancedLedger, PRO } from '../provider-contract.js';
import { API_KEY, makeBtcpayWorld, SECRET, STORE, type BtcpayWorld } from '../test-fixtures/btcpay-world.js';
import { greenfieldSpecsDir, OpenApiSchemas, specsAvailable } from '../test-fixtures/openapi-schemas.js';
import { btcpaySignature, verifyBtcpaySignature } from './btcpay-provider.js';

describePaymentProviderContract('btcpay', (dialect) => makeBtcpayWorld(dialect));

describe.each(testDialects(process.env))('btcpay provider on %s', (dialect) => {
  let world: BtcpayWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function setup(options: { lightning?: boolean } = {}) {
    world = await makeBtcpayWorld(dialect, options);
    const account = await signUp(world.t.app);
    const res = await world.t.app.inject({
      method: 'POST',
      url: '/invoices',
      headers: account.headers,
      payload: { planId: 'pro' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const invoice = res.json<{ invoice: Invoice }>().invoice;
    const row = await world.service.findInvoiceRow(invoice.invoiceId);
    return { w: world, account, invoice, providerId: row?.provider_invoice_id ?? '' };
  }

  it('offers Lightning in the BIP21 URI when the store has it, and credits a Lightning payment', async () => {
    const { w, account, invoice, providerId } = await setup({ lightning: true });
    expect(invoice.lightning).toMatch(/^lnbcrt/);
    expect(invoice.bip21).toContain(`&lightning=${invoice.lightning}`);
    await w.greenfield.pay(providerId, PRO.priceSats, 'BTC-LN');
    const res = await w.t.app.inject({ url: `/invoices/${invoice.invoiceId}`, headers: account.headers });
    expect(res.json().invoice).toMatchObject({ status: 'settled', paidSats: PRO.priceSats });
  });

  it('rejects webhooks with a missing or wrong signature and credits nothing from them', async () => {
    const { w, providerId } = await setup();
    const body = JSON.stringify({
      type: 'InvoiceSettled',
      storeId: STORE,
      invoiceId: providerId,
      deliveryId: 'x',
    });
    const send = (headers: Record<string, string>, payload = body) =>
      w.t.app.inject({
        method: 'POST',
        url: '/payments/btcpay/webhook',
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });
    for (const headers of [
      {},
      { 'btcpay-sig': btcpaySignature('another secret', body) },
      { 'btcpay-sig': 'sha256=zz' },
      { 'btcpay-sig': btcpaySignature(SECRET, body).replace('sha256=', 'sha1=') },
    ]) {
      const res = await send(headers);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    // Signed over other bytes than those sent (the same JSON re-serialized with a space).
    const res = await send({ 'btcpay-sig': btcpaySignature(SECRET, body) }, body.replace(',', ', '));
    expect(res.statusCode).toBe(401);
    // A genuine webhook only makes Hoard re-read the invoice, which is unpaid: nothing is credited.
    const genuine = await send({ 'btcpay-sig': btcpaySignature(SECRET, body) });
    expect(genuine.statusCode).toBe(200);
    expect((await expectBalancedLedger(w.t.db)).size).toBe(0);
  });

  it('ignores webhooks for unknown invoices or other stores, and answers 503 while BTCPay cannot be re-read', async () => {
    const { w, providerId } = await setup();
    const signed = (event: object) => {
      const payload = JSON.stringify(event);
      return w.t.app.inject({
        method: 'POST',
        url: '/payments/btcpay/webhook',
        headers: { 'content-type': 'application/json', 'btcpay-sig': btcpaySignature(SECRET, payload) },
        payload,
      });
    };
    expect(
      (await signed({ type: 'InvoiceSettled', storeId: STORE, invoiceId: 'NoSuchInvoice' })).json(),
    ).toEqual({
      status: 'ignored',
    });
    expect(
      (await signed({ type: 'InvoiceSettled', storeId: 'other', invoiceId: providerId })).json(),
    ).toEqual({
      status: 'ignored',
    });
    w.greenfield.mode = 'garbage';
    const res = await signed({ type: 'InvoiceSettled', storeId: STORE, invoiceId: providerId });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    const audit = await w.t.db.selectFrom('payment_audit').select('event').execute();
    expect(audit.map((a) => a.event)).toContain('webhook.unknown_invoice');
  });

  it('replayed, duplicated and out-of-order webhooks credit once', async () => {
    const { w, invoice, providerId } = await setup();
    await w.greenfield.pay(providerId, PRO.priceSats);
    await w.greenfield.confirm(providerId);
    const deliveries = [...w.greenfield.deliveries].reverse();
    for (const d of deliveries) await w.greenfield.redeliver(d.deliveryId);
    for (const d of deliveries) await w.greenfield.redeliver(d.deliveryId);
    const ledger = await expectBalancedLedger(w.t.db);
    expect(ledger.get('revenue:plans')).toBe(PRO.priceSats);
    const credits = await w.t.db
      .selectFrom('ledger_transactions')
      .select('kind')
      .where('kind', '=', 'payment')
      .execute();
    expect(credits).toHaveLength(1);
    expect((await w.service.findInvoiceRow(invoice.invoiceId))?.status).toBe('settled');
  });

  it('follows the operator: marked settled grants the plan (the shortfall waived), marked invalid takes it back', async () => {
    const { w, account, invoice, providerId } = await setup();
    await w.greenfield.pay(providerId, 10_000);
    await w.greenfield.confirm(providerId);
    await w.greenfield.mark(providerId, 'Settled');
    const read = async () =>
      (await w.t.app.inject({ url: `/invoices/${invoice.invoiceId}`, headers: account.headers })).json<{
        invoice: Invoice;
      }>().invoice;
    expect(await read()).toMatchObject({ status: 'settled', additionalStatus: 'marked', paidSats: 10_000 });
    let ledger = await expectBalancedLedger(w.t.db);
    expect(ledger.get('operator:marked')).toBe(-40_000);
    expect(ledger.get('revenue:plans')).toBe(PRO.priceSats);
    await w.greenfield.mark(providerId, 'Invalid');
    expect(await read()).toMatchObject({ status: 'invalid', additionalStatus: 'marked' });
    ledger = await expectBalancedLedger(w.t.db);
    expect(ledger.get('operator:marked')).toBe(0);
    expect(ledger.get('revenue:plans')).toBe(0);
    expect(ledger.get(`user:${account.userId}`)).toBe(10_000);
  });

  it('refuses an invoice whose amount is not whole satoshis or not in BTC', async () => {
    const { w, invoice, providerId } = await setup();
    const fake = w.greenfield.invoices.get(providerId);
    if (!fake) throw new Error('no fake invoice');
    fake.currency = 'USD';
    await expect(w.service.refresh(invoice.invoiceId)).rejects.toThrow(/not in bitcoin/);
    expect((await expectBalancedLedger(w.t.db)).size).toBe(0);
  });
});

describe('BTCPay-Sig', () => {
  it('is HMAC-SHA256 of the body under the secret, hex, prefixed sha256=', () => {
    const body = Buffer.from('{"a":1}');
    const header = btcpaySignature('s3cret', body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyBtcpaySignature('s3cret', body, header)).toBe(true);
    expect(verifyBtcpaySignature('s3cret', body, header.toUpperCase().replace('SHA256=', 'sha256='))).toBe(
      true,
    );
    expect(verifyBtcpaySignature('other', body, header)).toBe(false);
    expect(verifyBtcpaySignature('s3cret', Buffer.from('{"a":2}'), header)).toBe(false);
    expect(verifyBtcpaySignature('s3cret', body, undefined)).toBe(false);
  });
});

const repoRoot = join(import.meta.dirname, '..', '..', '..', '..', '..', '..');
const specsDir = greenfieldSpecsDir(repoRoot);
const haveSpecs = specsAvailable(specsDir);
if (!haveSpecs) {
  if (process.env.CI === 'true') throw new Error(`the Greenfield OpenAPI files are missing from ${specsDir}`);
  console.warn(`skipping the Greenfield schema checks: no OpenAPI files in ${specsDir}`);
}

describe.runIf(haveSpecs)('the Greenfield fixture against the OpenAPI files', () => {
  it('answers and sends webhooks exactly as the schemas say', async () => {
    const schemas = new OpenApiSchemas(specsDir);
    const { w, providerId } = await (async () => {
      const world = await makeBtcpayWorld('sqlite', { lightning: true });
      const account = await signUp(world.t.app);
      const res = await world.t.app.inject({
        method: 'POST',
        url: '/invoices',
        headers: account.headers,
        payload: { planId: 'pro' },
      });
      const invoice = res.json<{ invoice: Invoice }>().invoice;
      const row = await world.service.findInvoiceRow(invoice.invoiceId);
      return { w: world, providerId: row?.provider_invoice_id ?? '' };
    })();
    try {
      const paymentId = await w.greenfield.pay(providerId, 20_000);
      await w.greenfield.pay(providerId, 40_000, 'BTC-LN');
      await w.greenfield.confirm(providerId);
      await w.greenfield.invalidate(providerId, paymentId);
      await w.greenfield.mark(providerId, 'Settled');
      const get = async (path: string) => {
        const res = await fetch(`${w.greenfield.url}${path}`, {
          headers: { authorization: `token ${API_KEY}` },
        });
        expect(res.status).toBe(200);
        return res.json() as Promise<unknown>;
      };
      expect(schemas.validate('InvoiceData', await get(`/api/v1/invoices/${providerId}`))).toEqual([]);
      const methods = await get(`/api/v1/invoices/${providerId}/payment-methods?onlyAccountedPayments=false`);
      expect(Array.isArray(methods) && methods.length).toBe(2);
      for (const method of methods as unknown[]) {
        expect(schemas.validate('InvoicePaymentMethodDataModel', method)).toEqual([]);
      }
      const created = await fetch(`${w.greenfield.url}/api/v1/stores/${STORE}/invoices`, {
        method: 'POST',
        headers: { authorization: `token ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: '0.001', currency: 'BTC', checkout: { expirationMinutes: 30 } }),
      });
      expect(schemas.validate('InvoiceData', await created.json())).toEqual([]);
      const types = new Set<string>();
      for (const delivery of w.greenfield.deliveries) {
        const event = JSON.parse(delivery.body) as { type: string };
        types.add(event.type);
        const schema = schemas.webhooks.get(event.type);
        expect(schema, event.type).toBeDefined();
        if (schema) expect(schemas.validateSchema(schema, event, event.type)).toEqual([]);
        expect(
          verifyBtcpaySignature(SECRET, Buffer.from(delivery.body), delivery.headers['btcpay-sig']),
        ).toBe(true);
      }
      expect([...types].sort()).toEqual(
        [
          'InvoiceCreated',
          'InvoiceInvalid',
          'InvoicePaymentSettled',
          'InvoiceProcessing',
          'InvoiceReceivedPayment',
          'InvoiceSettled',
        ].sort(),
      );
      // The validator itself catches what the schemas forbid.
      expect(schemas.validate('InvoiceData', { id: 'x', status: 'Paid', surprise: 1 })).toEqual(
        expect.arrayContaining([expect.stringMatching(/status/), expect.stringMatching(/surprise/)]),
      );
    } finally {
      await w.close();
    }
  });
});
