// End to end: the real hoard-server with the watch provider (a BIP84 test key) over the local
// Esplora fixture (in this process: the test pays and mines on its chain), and the real `hoard`
// CLI: plans, upgrade with a QR code, upgrade --wait --json settling when the coins confirm,
// invoices, quota --json, and the operator's `hoard-server admin invoices`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresDatabase,
  EsploraServer,
  serverMain,
  type SpawnedServer,
  spawnServer,
} from '@hoard/server/testing';
import { runHoard, spawnHoard, waitFor } from './testing/harness.js';

const VPUB =
  'vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc';
const PRO = { id: 'pro', name: 'Pro', quotaBytes: 1_000_000_000_000, priceSats: 50_000, periodDays: 30 };
const dialects = process.env.DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('paying for a plan from the command line (%s)', (dialect) => {
  let work: string;
  let server: SpawnedServer;
  let esplora: EsploraServer;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let env: Record<string, string>;
  const hoard = (args: string[]) => runHoard(args, env);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hoard-pay-e2e-'));
    esplora = new EsploraServer();
    const esploraUrl = await esplora.start();
    if (dialect === 'postgres') database = await createPostgresDatabase(process.env.DATABASE_URL ?? '');
    server = await spawnServer({
      dataDir: join(work, 'server-data'),
      databaseUrl: database?.url ?? '',
      env: {
        HOARD_PLANS: JSON.stringify([PRO]),
        HOARD_XPUB: VPUB,
        HOARD_NETWORK: 'regtest',
        HOARD_ESPLORA_URL: esploraUrl,
        HOARD_CHAIN_POLL_SECONDS: '1',
        HOARD_FREE_QUOTA_BYTES: '1000000',
      },
    });
    env = {
      HOARD_SERVER: server.url,
      HOARD_HOME: join(work, 'home'),
      HOARD_PASSWORD: 'correct horse battery staple',
    };
    expect((await hoard(['signup', 'payer@example.com'])).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await esplora?.stop();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the plans with their prices in sats', async () => {
    const res = await hoard(['plans', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      plans: [{ id: 'free', name: 'Free', quotaBytes: 1_000_000, priceSats: 0, periodDays: 0 }, PRO],
      paymentsEnabled: true,
    });
    const text = await hoard(['plans']);
    expect(text.stdout).toMatch(/pro\s+Pro\s+931 GiB\s+50000 sats\s+30 days/);
  });

  it('shows an invoice with its address, BIP21 URI and a QR code, and refuses an unknown plan', async () => {
    const res = await hoard(['upgrade', 'pro']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/amount +50,000 sats \(0\.0005 BTC\)/);
    expect(res.stdout).toMatch(/address +bcrt1q[0-9a-z]+/);
    expect(res.stdout).toMatch(/pay +bitcoin:bcrt1q[0-9a-z]+\?amount=0\.0005/);
    expect(res.stdout).toMatch(/[▀▄█]{10}/);
    const bad = await hoard(['upgrade', 'platinum']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no plan "platinum" is offered/);
  });

  it('waits for the payment, then the plan shows in quota --json', async () => {
    const child = spawnHoard(['upgrade', 'pro', '--json', '--wait', '--interval', '0.2'], env);
    const done = waitFor(child);
    const first = await new Promise<string>((resolve) => {
      let buffer = '';
      child.stdout?.on('data', (d: Buffer) => {
        buffer += d.toString();
        if (buffer.includes('\n')) resolve(buffer.split('\n')[0] ?? '');
      });
    });
    const created = JSON.parse(first) as {
      invoiceId: string;
      address: string;
      amountSats: number;
      bip21: string;
      expiresAt: string;
    };
    expect(created).toMatchObject({ amountSats: PRO.priceSats });
    expect(created.bip21).toBe(`bitcoin:${created.address}?amount=0.0005&label=Hoard%20Pro%2C%2030%20days`);
    expect(Date.parse(created.expiresAt)).toBeGreaterThan(Date.now());
    esplora.chain.pay(created.address, PRO.priceSats);
    esplora.chain.mine(1);
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    const final = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
      status: string;
      paidSats: number;
    };
    expect(final).toMatchObject({ status: 'settled', paidSats: PRO.priceSats });
    expect(result.stderr).toMatch(/settled/);

    const quota = JSON.parse((await hoard(['quota', '--json'])).stdout) as Record<string, unknown>;
    expect(quota).toMatchObject({ usedBytes: 0, quotaBytes: PRO.quotaBytes, plan: 'pro' });
    expect(Date.parse(String(quota.planExpiresAt))).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
    const invoices = JSON.parse((await hoard(['invoices', '--json'])).stdout) as {
      invoiceId: string;
      status: string;
    }[];
    expect(invoices.find((i) => i.invoiceId === created.invoiceId)?.status).toBe('settled');
    expect((await hoard(['invoices'])).stdout).toMatch(/settled/);

    const admin = spawn(
      process.execPath,
      [serverMain, 'admin', 'invoices', '--json', '--data', server.dataDir],
      {
        env: { ...process.env, DATABASE_URL: database?.url ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const listed = await waitFor(admin);
    expect(listed.code, listed.stderr).toBe(0);
    const all = JSON.parse(listed.stdout) as { invoiceId: string; email: string; status: string }[];
    expect(all.find((i) => i.invoiceId === created.invoiceId)).toMatchObject({
      email: 'payer@example.com',
      status: 'settled',
    });
  }, 60_000);
});
