// A BTCPay world for tests and benchmarks: the local Greenfield server wired to an in-process test
// app (webhooks delivered with app.inject), a PaymentService over the same database, and the
// contract harness operations. Test-only.
import type { Invoice } from '@hoard/protocol';
import { parseConfig, type ConfigInput } from '../../../config.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { BtcpayProvider } from '../btcpay/btcpay-provider.js';
import { PaymentService } from '../payment-service.js';
import { contractConfig, type ProviderHarness } from '../provider-contract.js';
import { GreenfieldServer } from './greenfield-server.js';

export const API_KEY = 'fixture-api-key';
export const STORE = 'StoreFixture1111111111111111111111111111111';
export const SECRET = 'webhook-secret-of-the-fixture';

export interface BtcpayWorld extends ProviderHarness {
  greenfield: GreenfieldServer;
}

export async function makeBtcpayWorld(
  dialect: 'sqlite' | 'postgres',
  options: { lightning?: boolean; config?: ConfigInput } = {},
): Promise<BtcpayWorld> {
  const holder: { t?: TestApp } = {};
  const clockNow = () => Math.floor((holder.t?.clock.now() ?? Date.now()) / 1000);
  const greenfield = new GreenfieldServer({
    apiKey: API_KEY,
    storeId: STORE,
    webhookSecret: SECRET,
    lightning: options.lightning ?? false,
    now: clockNow,
  });
  const url = await greenfield.start();
  const provider = new BtcpayProvider({
    url,
    apiKey: API_KEY,
    storeId: STORE,
    webhookSecret: SECRET,
    attempts: 2,
    backoffMs: 5,
    timeoutMs: 2000,
    now: () => holder.t?.clock.now() ?? Date.now(),
  });
  const t = await createTestApp({
    dialect,
    databaseUrl: process.env.DATABASE_URL,
    config: contractConfig,
    paymentProvider: provider,
  });
  holder.t = t;
  const app = t.app;
  greenfield.deliver = async (body, headers) =>
    (await app.inject({ method: 'POST', url: '/payments/btcpay/webhook', headers, payload: body }))
      .statusCode;
  const service = new PaymentService({
    config: parseConfig({ ...contractConfig, ...options.config }),
    db: t.db,
    clock: t.clock,
    provider,
  });
  const providerId = async (invoice: Invoice) =>
    (await service.findInvoiceRow(invoice.invoiceId))?.provider_invoice_id ?? '';
  const world: BtcpayWorld = {
    t,
    clock: t.clock,
    service,
    greenfield,
    pay: async (invoice, sats) => greenfield.pay(await providerId(invoice), sats),
    confirm: async (invoice) => greenfield.confirm(await providerId(invoice)),
    invalidate: async (invoice, handle) => greenfield.invalidate(await providerId(invoice), handle),
    sync: async (invoice) => {
      const id = await providerId(invoice);
      const fake = greenfield.invoices.get(id);
      if (fake && fake.status === 'New' && t.clock.now() / 1000 >= fake.expirationTime)
        await greenfield.expire(id);
      await service.refresh(invoice.invoiceId);
    },
    setDown: (down) => {
      greenfield.mode = down ? 'down' : 'up';
    },
    close: async () => {
      await t.close();
      await greenfield.stop();
    },
  };
  return world;
}
