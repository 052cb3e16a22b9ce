#!/usr/bin/env node
// Payments benchmark (in-process app, SQLite in memory, the local Greenfield and Esplora fixtures
// over real HTTP on 127.0.0.1). In one run:
//   webhooks/s: BTCPay webhooks through POST /payments/btcpay/webhook (app.inject): the BTCPay-Sig
//     HMAC checked, the invoice re-read from the Greenfield fixture (2 GETs), reconciled; beside it
//     forged webhooks/s (signature check only) and bare HMAC verifications/s
//   watcher cost with --invoices open watch invoices (default 10000): Esplora requests per idle poll
//     and per new block (a block of --block-txs transactions, 50 of them paying invoices), and the
//     tick's time; beside it what per-invoice polling would cost (one request per open address)
//   invoice creation latency: POST /invoices p50/p95 with each provider
// Build first (`npm run build`); run `npm run bench -- payments [--invoices 10000] [--block-txs 2000]`.
// Prints figures, never passes or fails on timing.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    invoices: { type: 'string', default: '10000' },
    'block-txs': { type: 'string', default: '2000' },
    webhooks: { type: 'string', default: '1000' },
  },
});
const dist = '../packages/server/dist';
const { createTestApp, signUp } = await import(`${dist}/testing/test-app.js`);
const { parseConfig } = await import(`${dist}/config.js`);
const { GreenfieldServer } = await import(`${dist}/modules/payments/test-fixtures/greenfield-server.js`);
const { EsploraServer } = await import(`${dist}/modules/payments/test-fixtures/esplora-server.js`);
const { BtcpayProvider, btcpaySignature, verifyBtcpaySignature } = await import(
  `${dist}/modules/payments/btcpay/btcpay-provider.js`
);
const { WatchProvider } = await import(`${dist}/modules/payments/watch/watch-provider.js`);
const { EsploraClient } = await import(`${dist}/modules/payments/watch/esplora-client.js`);
const { ChainWatcher } = await import(`${dist}/modules/payments/watch/chain-watcher.js`);
const { PaymentService } = await import(`${dist}/modules/payments/payment-service.js`);

const PRO = { id: 'pro', name: 'Pro', quotaBytes: 1e12, priceSats: 50_000, periodDays: 30 };
const configInput = { plans: [PRO], invoicesPerHour: 10_000_000, freeQuotaBytes: 1e9 };
const VPUB =
  'vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc';
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (n) => `${n.toFixed(2)} ms`;

async function createLatency(app, headers, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await app.inject({ method: 'POST', url: '/invoices', headers, payload: { planId: 'pro' } });
    times.push(performance.now() - t0);
    if (res.statusCode !== 201) throw new Error(`POST /invoices: ${res.statusCode} ${res.body}`);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p95: pct(times, 95) };
}

// ---- BTCPay: webhooks and invoice creation ----
{
  const secret = 'bench-webhook-secret';
  const greenfield = new GreenfieldServer({ apiKey: 'k', storeId: 'S', webhookSecret: secret });
  const url = await greenfield.start();
  const provider = new BtcpayProvider({ url, apiKey: 'k', storeId: 'S', webhookSecret: secret });
  const t = await createTestApp({ config: configInput, paymentProvider: provider });
  const account = await signUp(t.app);
  const create = await createLatency(t.app, account.headers, 200);
  console.log(
    `invoice creation (btcpay, POST /invoices: Greenfield create + payment methods): p50 ${ms(create.p50)}  p95 ${ms(create.p95)}`,
  );

  const [invoice] = (await t.app.inject({ url: '/invoices', headers: account.headers })).json().invoices;
  const providerId = [...greenfield.invoices.keys()].find(
    (id) => greenfield.invoices.get(id).metadata.orderId === invoice.invoiceId,
  );
  await greenfield.pay(providerId, 50_000);
  await greenfield.confirm(providerId);
  const body = JSON.stringify({
    deliveryId: 'd',
    webhookId: 'w',
    originalDeliveryId: 'd',
    isRedelivery: true,
    type: 'InvoiceSettled',
    timestamp: 1,
    storeId: 'S',
    invoiceId: providerId,
    metadata: {},
  });
  const headers = { 'content-type': 'application/json', 'btcpay-sig': btcpaySignature(secret, body) };
  const n = Number(values.webhooks);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/payments/btcpay/webhook',
      headers,
      payload: body,
    });
    if (res.statusCode !== 200) throw new Error(`webhook: ${res.statusCode} ${res.body}`);
  }
  const genuine = n / ((performance.now() - t0) / 1000);
  const forged = { ...headers, 'btcpay-sig': btcpaySignature('wrong', body) };
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/payments/btcpay/webhook',
      headers: forged,
      payload: body,
    });
    if (res.statusCode !== 401) throw new Error(`forged webhook: ${res.statusCode}`);
  }
  const rejected = n / ((performance.now() - t0) / 1000);
  const bytes = Buffer.from(body);
  t0 = performance.now();
  for (let i = 0; i < 100_000; i++) verifyBtcpaySignature(secret, bytes, headers['btcpay-sig']);
  const hmacs = 100_000 / ((performance.now() - t0) / 1000);
  console.log(
    `webhooks/s (signature checked, invoice re-read from BTCPay over HTTP, reconciled): ${genuine.toFixed(0)}` +
      `  | forged, rejected at the signature: ${rejected.toFixed(0)}/s  | bare BTCPay-Sig checks: ${hmacs.toFixed(0)}/s`,
  );
  const credits = await t.db.selectFrom('ledger_transactions').selectAll().execute();
  console.log(
    `  (${n} deliveries of the same settled-invoice webhook: ${credits.length} ledger transactions, the credit and the purchase, once)`,
  );
  await t.close();
  await greenfield.stop();
}

// ---- watch: the watcher's cost with many open invoices ----
{
  const esplora = new EsploraServer();
  const url = await esplora.start();
  const source = new EsploraClient(url);
  const holder = {};
  const t = await createTestApp({
    config: { ...configInput, network: 'regtest', xpub: VPUB, esploraUrl: url },
    paymentProvider: {
      kind: 'watch',
      createInvoice: (r) => holder.provider.createInvoice(r),
      readInvoice: (r) => holder.provider.readInvoice(r),
    },
  });
  holder.provider = new WatchProvider({
    db: t.db,
    xpub: VPUB,
    network: 'regtest',
    source,
    confirmations: 1,
    now: () => t.clock.now(),
  });
  const service = new PaymentService({
    config: parseConfig(configInput),
    db: t.db,
    clock: t.clock,
    provider: holder.provider,
  });
  const watcher = new ChainWatcher({ db: t.db, source, service, confirmations: 1, now: () => t.clock.now() });
  await watcher.tick();
  const account = await signUp(t.app);
  const create = await createLatency(t.app, account.headers, 200);
  console.log(
    `invoice creation (watch, POST /invoices: next index, BIP84 derivation): p50 ${ms(create.p50)}  p95 ${ms(create.p95)}`,
  );

  const open = Number(values.invoices);
  const t0 = performance.now();
  const batch = [];
  for (let i = 200; i < open; i++) {
    const created = await holder.provider.createInvoice({
      invoiceId: `b${i}`,
      amountSats: 50_000,
      expiresAt: t.clock.now() + 3600_000,
      description: 'x',
    });
    batch.push({
      id: `bench${String(i).padStart(17, '0')}`,
      user_id: account.userId,
      plan_id: 'pro',
      plan_quota_bytes: 1e12,
      plan_period_days: 30,
      provider: 'watch',
      provider_invoice_id: created.providerInvoiceId,
      amount_sats: 50_000,
      paid_sats: 0,
      pending_sats: 0,
      status: 'new',
      additional_status: 'none',
      address: created.address,
      bip21: created.bip21,
      lightning: null,
      checkout_link: null,
      derivation_index: created.derivationIndex,
      settle_count: 0,
      period_id: null,
      created_at: t.clock.now(),
      expires_at: t.clock.now() + 3600_000,
      settled_at: null,
      updated_at: t.clock.now(),
      synced_at: t.clock.now(),
    });
    if (batch.length === 500) await t.db.insertInto('invoices').values(batch.splice(0)).execute();
  }
  if (batch.length) await t.db.insertInto('invoices').values(batch).execute();
  const rows = await t.db.selectFrom('invoices').select(['address']).execute();
  console.log(
    `  (${rows.length} open watch invoices set up in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const before = esplora.totalRequests;
  const idle = await watcher.tick();
  const blockTxs = Number(values['block-txs']);
  for (let i = 0; i < 50; i++) esplora.chain.pay(rows[i * Math.floor(rows.length / 50)].address, 50_000, 1);
  esplora.chain.noise(blockTxs - 51);
  esplora.chain.mine();
  const t1 = performance.now();
  const block = await watcher.tick();
  const tickMs = performance.now() - t1;
  const settled = await t.db.selectFrom('invoices').select('id').where('status', '=', 'settled').execute();
  console.log(
    `watcher with ${rows.length} open invoices: idle poll ${idle.requests} request(s); ` +
      `new block of ${blockTxs} txs: ${block.requests} requests (1 tip + 1 header + ${Math.ceil(blockTxs / 25)} pages of 25 txs), ` +
      `tick ${tickMs.toFixed(0)} ms, ${settled.length} invoices settled`,
  );
  console.log(
    `  baseline: polling each open address would cost ${rows.length} requests per poll (every ${15} s by default)`,
  );
  console.log(
    `  Esplora requests by route: ${JSON.stringify(Object.fromEntries(esplora.counts))} (total ${esplora.totalRequests - before} in the measured ticks)`,
  );
  await t.close();
  await esplora.stop();
}
