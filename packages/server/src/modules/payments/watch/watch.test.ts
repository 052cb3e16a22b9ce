import type { Invoice } from '@hoard/protocol';
import { HDKey } from '@scure/bip32';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config.js';
import { createTestApp, signUp, type TestAccount } from '../../../testing/test-app.js';
import { createTestDatabase, testDialects } from '../../../testing/test-database.js';
import { PaymentService } from '../payment-service.js';
import { PAYMENTS_LOCK_KEY, withPaymentsLock } from '../payments-runtime.js';
import {
  contractConfig,
  describePaymentProviderContract,
  expectBalancedLedger,
  PRO,
  type ProviderHarness,
} from '../provider-contract.js';
import { EsploraServer } from '../test-fixtures/esplora-server.js';
import { BitcoindRpcClient } from './bitcoind-rpc-client.js';
import { ChainWatcher } from './chain-watcher.js';
import { EsploraClient } from './esplora-client.js';
import { WatchProvider } from './watch-provider.js';
import { XpubAddresses } from './xpub-addresses.js';

// BIP84's test mnemonic ("abandon ... about"), account 0 on testnet: m/84'/1'/0'.
const VPUB =
  'vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc';

interface WatchWorld extends ProviderHarness {
  esplora: EsploraServer;
  watcher: ChainWatcher;
  provider: WatchProvider;
}

async function makeWorld(dialect: 'sqlite' | 'postgres', confirmations = 1): Promise<WatchWorld> {
  const esplora = new EsploraServer();
  const url = await esplora.start();
  const source = new EsploraClient(url, { attempts: 2, backoffMs: 5, timeoutMs: 2000 });
  // The provider needs the app's database, which the test app creates: the app gets a forwarder.
  const holder: { provider?: WatchProvider } = {};
  const t = await createTestApp({
    dialect,
    databaseUrl: process.env.DATABASE_URL,
    config: { ...contractConfig, network: 'regtest', xpub: VPUB, esploraUrl: url, confirmations },
    paymentProvider: {
      kind: 'watch',
      createInvoice: (request) => (holder.provider as WatchProvider).createInvoice(request),
      readInvoice: (ref) => (holder.provider as WatchProvider).readInvoice(ref),
    },
  });
  const provider = new WatchProvider({
    db: t.db,
    xpub: VPUB,
    network: 'regtest',
    source,
    confirmations,
    now: () => t.clock.now(),
  });
  holder.provider = provider;
  const service = new PaymentService({
    config: parseConfig(contractConfig),
    db: t.db,
    clock: t.clock,
    provider,
  });
  const watcher = new ChainWatcher({ db: t.db, source, service, confirmations, now: () => t.clock.now() });
  await watcher.tick(); // first run: starts at the tip
  const txids = new Map<string, string>();
  return {
    t,
    clock: t.clock,
    service,
    esplora,
    watcher,
    provider,
    pay: async (invoice, sats) => {
      const txid = esplora.chain.pay(invoice.address, sats, 2);
      txids.set(txid, invoice.invoiceId);
      return Promise.resolve(txid);
    },
    confirm: async () => {
      esplora.chain.mine(confirmations);
      return Promise.resolve();
    },
    invalidate: async (_invoice, txid) => {
      const found = esplora.chain.findTx(txid);
      if (found?.block) {
        esplora.chain.reorg(esplora.chain.tip.height - found.block.height + 1, { doubleSpent: [txid] });
      } else {
        esplora.chain.doubleSpend(txid);
        esplora.chain.mine();
      }
      return Promise.resolve();
    },
    sync: async (invoice) => {
      await watcher.tick();
      await service.refresh(invoice.invoiceId);
    },
    setDown: (down) => {
      esplora.mode = down ? 'down' : 'up';
    },
    close: async () => {
      await t.close();
      await esplora.stop();
    },
  };
}

describePaymentProviderContract('watch', (dialect) => makeWorld(dialect));

describe('addresses from an extended public key', () => {
  // BIP32 test vector 1: public derivation (CKDpub) from the published xpubs.
  it('matches the BIP32 test vector 1 public derivations', () => {
    const steps: [string, number, string][] = [
      [
        'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw',
        1,
        'xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ',
      ],
      [
        'xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5',
        2,
        'xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV',
      ],
      [
        'xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV',
        1000000000,
        'xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy',
      ],
    ];
    for (const [parent, index, child] of steps) {
      expect(HDKey.fromExtendedKey(parent).deriveChild(index).publicExtendedKey).toBe(child);
    }
  });

  it('derives the BIP84, BIP49 and BIP44 published first addresses, the script chosen by the key', () => {
    const zpub =
      'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
    const bip84 = new XpubAddresses(zpub, 'mainnet');
    expect(bip84.script).toBe('p2wpkh');
    expect(bip84.address(0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    expect(bip84.address(1)).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
    const ypub =
      'ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrArf3zbeJJJUZPf663zsP';
    expect(new XpubAddresses(ypub, 'mainnet').address(0)).toBe('37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf');
    const xpub =
      'xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj';
    expect(new XpubAddresses(xpub, 'mainnet').address(0)).toBe('1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA');
    // The same key on the test networks: bech32 prefixes follow the network.
    expect(new XpubAddresses(VPUB, 'regtest').address(0)).toMatch(/^bcrt1q/);
    expect(new XpubAddresses(VPUB, 'testnet').address(0)).toMatch(/^tb1q/);
  });

  it('refuses private keys and keys of another network', () => {
    const xprv =
      'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
    expect(() => new XpubAddresses(xprv, 'mainnet')).toThrow(/never a private key/);
    expect(() => new XpubAddresses(VPUB, 'mainnet')).toThrow(/not a key for mainnet/);
    expect(() => parseConfig({ xpub: xprv, esploraUrl: 'http://x' })).toThrow(/extended public key/);
  });
});

describe.each(testDialects(process.env))('watch provider on %s', (dialect) => {
  let world: WatchWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function invoiceFor(w: WatchWorld, account: TestAccount): Promise<Invoice> {
    const res = await w.t.app.inject({
      method: 'POST',
      url: '/invoices',
      headers: account.headers,
      payload: { planId: 'pro' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ invoice: Invoice }>().invoice;
  }

  it('hands out consecutive, never reused receive addresses of the key', async () => {
    world = await makeWorld(dialect);
    const account = await signUp(world.t.app);
    const addresses = new XpubAddresses(VPUB, 'regtest');
    const invoices = [
      await invoiceFor(world, account),
      await invoiceFor(world, account),
      await invoiceFor(world, account),
    ];
    expect(invoices.map((i) => i.address)).toEqual([0, 1, 2].map((i) => addresses.address(i)));
    expect(invoices[0]?.lightning).toBeNull();
  });

  it('counts confirmations from the tip and credits at HOARD_CONFIRMATIONS', async () => {
    world = await makeWorld(dialect, 3);
    const account = await signUp(world.t.app);
    const invoice = await invoiceFor(world, account);
    world.esplora.chain.pay(invoice.address, PRO.priceSats);
    for (let blocks = 1; blocks <= 3; blocks++) {
      world.esplora.chain.mine();
      await world.watcher.tick();
      const row = await world.service.findInvoiceRow(invoice.invoiceId);
      expect(row?.status).toBe(blocks < 3 ? 'processing' : 'settled');
    }
    await expectBalancedLedger(world.t.db);
  });

  it('detects a reorg by block hash: a credit whose block vanished is reversed, and stands again once it confirms again', async () => {
    world = await makeWorld(dialect);
    const account = await signUp(world.t.app);
    const invoice = await invoiceFor(world, account);
    world.esplora.chain.pay(invoice.address, PRO.priceSats);
    world.esplora.chain.mine();
    await world.watcher.tick();
    expect((await world.service.findInvoiceRow(invoice.invoiceId))?.status).toBe('settled');
    // The block is replaced by a longer branch without the payment: it waits in the mempool again.
    const report = await (async () => {
      world.esplora.chain.reorg(1);
      return world.watcher.tick();
    })();
    expect(report.disconnectedBlocks).toBe(1);
    let row = await world.service.findInvoiceRow(invoice.invoiceId);
    expect(row).toMatchObject({
      status: 'processing',
      paid_sats: 0,
      pending_sats: PRO.priceSats,
      period_id: null,
    });
    expect((await expectBalancedLedger(world.t.db)).get('revenue:plans')).toBe(0);
    // It is mined again in the new branch: credited again (once more in the ledger, balanced).
    world.esplora.chain.mine();
    await world.watcher.tick();
    row = await world.service.findInvoiceRow(invoice.invoiceId);
    expect(row).toMatchObject({ status: 'settled', paid_sats: PRO.priceSats });
    const ledger = await expectBalancedLedger(world.t.db);
    expect(ledger.get('revenue:plans')).toBe(PRO.priceSats);
    expect(ledger.get('world:bitcoin')).toBe(-PRO.priceSats);
    const payments = await world.t.db.selectFrom('invoice_payments').selectAll().execute();
    expect(payments.map((p) => [p.state, p.credit_count])).toEqual([['credited', 2]]);
  });

  it('costs requests per new block, not per open invoice', async () => {
    world = await makeWorld(dialect);
    for (let a = 0; a < 3; a++) {
      const account = await signUp(world.t.app);
      for (let i = 0; i < 10; i++) await invoiceFor(world, account);
    }
    world.esplora.chain.noise(60); // 61 transactions with the coinbase: 3 pages of 25
    world.esplora.chain.mine();
    const withBlock = await world.watcher.tick();
    expect(withBlock).toMatchObject({ newBlocks: 1, requests: 1 + 1 + 3 });
    const idle = await world.watcher.tick();
    expect(idle).toMatchObject({ newBlocks: 0, requests: 1 });
  });

  it('retries an Esplora that is down or answers garbage, credits nothing meanwhile, and never crashes', async () => {
    world = await makeWorld(dialect);
    const account = await signUp(world.t.app);
    const invoice = await invoiceFor(world, account);
    world.esplora.chain.pay(invoice.address, PRO.priceSats);
    world.esplora.chain.mine();
    for (const mode of ['down', 'garbage'] as const) {
      world.esplora.mode = mode;
      await expect(world.watcher.tick()).rejects.toThrow(/not reachable|malformed|not JSON/);
      const res = await world.t.app.inject({
        url: `/invoices/${invoice.invoiceId}`,
        headers: account.headers,
      });
      expect(res.statusCode).toBe(200);
      expect((await world.service.findInvoiceRow(invoice.invoiceId))?.paid_sats).toBe(0);
    }
    world.esplora.mode = 'up';
    await world.watcher.tick();
    expect((await world.service.findInvoiceRow(invoice.invoiceId))?.status).toBe('settled');
  });
});

describe('the Bitcoin Core RPC chain source', () => {
  it('watches the same chain through bitcoind: credits, reorgs, double spends', async () => {
    const esplora = new EsploraServer();
    const url = await esplora.start();
    const t = await createTestApp({ config: contractConfig });
    try {
      const rpcUrl = url.replace('http://', 'http://rpcuser:rpcpass@');
      const source = new BitcoindRpcClient(rpcUrl, { attempts: 1 });
      const provider = new WatchProvider({
        db: t.db,
        xpub: VPUB,
        network: 'regtest',
        source,
        confirmations: 1,
        now: () => t.clock.now(),
      });
      const service = new PaymentService({
        config: parseConfig(contractConfig),
        db: t.db,
        clock: t.clock,
        provider,
      });
      const watcher = new ChainWatcher({
        db: t.db,
        source,
        service,
        confirmations: 1,
        now: () => t.clock.now(),
      });
      await watcher.tick();
      const account = await signUp(t.app);
      const created = await service.createInvoice(account.userId, 'pro');
      const second = await service.createInvoice(account.userId, 'pro');
      const txid = esplora.chain.pay(created.address, PRO.priceSats, 3);
      esplora.chain.noise(30);
      esplora.chain.mine();
      const report = await watcher.tick();
      expect(report).toMatchObject({ newBlocks: 1, requests: 3 });
      expect((await service.findInvoiceRow(created.invoiceId))?.status).toBe('settled');
      // A reorg that double-spends it: reversed, and bitcoind says it is not in the mempool.
      esplora.chain.reorg(1, { doubleSpent: [txid] });
      await watcher.tick();
      expect(await service.findInvoiceRow(created.invoiceId)).toMatchObject({
        status: 'new',
        paid_sats: 0,
        period_id: null,
      });
      // A payment mined in the replacement branch counts from its block.
      esplora.chain.pay(second.address, PRO.priceSats);
      esplora.chain.mine();
      await watcher.tick();
      expect((await service.findInvoiceRow(second.invoiceId))?.status).toBe('settled');
      const ledger = await expectBalancedLedger(t.db);
      expect(ledger.get('revenue:plans')).toBe(PRO.priceSats);
      // Wrong credentials or a node that is down: unavailable, nothing changes.
      await expect(new BitcoindRpcClient(url, { attempts: 1 }).tipHash()).rejects.toThrow(
        /refused getbestblockhash: 401/,
      );
      esplora.mode = 'down';
      await expect(watcher.tick()).rejects.toThrow(/not reachable/);
    } finally {
      await t.close();
      await esplora.stop();
    }
  });
});

describe.runIf(Boolean(process.env.DATABASE_URL))('the payments lock in a fleet', () => {
  it('lets only one server run the watcher round at a time', async () => {
    const testDb = await createTestDatabase('postgres', process.env.DATABASE_URL);
    try {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered: () => void = () => undefined;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const first = withPaymentsLock(testDb.db, 'postgres', async () => {
        entered();
        await held;
      });
      await inside;
      expect(await withPaymentsLock(testDb.db, 'postgres', () => Promise.resolve())).toBe(false);
      release();
      expect(await first).toBe(true);
      expect(await withPaymentsLock(testDb.db, 'postgres', () => Promise.resolve())).toBe(true);
      expect(PAYMENTS_LOCK_KEY).toBeTypeOf('bigint');
    } finally {
      await testDb.destroy();
    }
  });
});
