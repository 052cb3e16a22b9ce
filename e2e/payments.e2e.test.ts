// Paying for a plan in the web app, in a real chromium: a real server with the watch provider (a
// BIP84 test key) over the local Esplora fixture (in this process). Sign up, open Plans, upgrade,
// read the address off the page, pay part of it on the fixture chain and mine (the page says what is
// still due), pay the rest (the page turns to Paid with a receipt and the quota grows); the renewal
// banner ahead of a lapse; an unknown plan and a server without payments answer with messages.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig, startServer, type RunningServer } from '@hoard/server';
import { EsploraServer, serverMain } from '@hoard/server/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWebApp, chromiumPath, describeInChromium, repoRoot, signUp } from './harness.js';

const VPUB =
  'vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc';
const PRO = { id: 'pro', name: 'Pro', quotaBytes: 10_000_000_000, priceSats: 50_000, periodDays: 30 };

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describeInChromium('paying for a plan in the web app', () => {
  let work: string;
  let esplora: EsploraServer;
  let server: RunningServer;
  let plain: RunningServer;
  let browser: Browser;
  // Screenshots of the checkout, the banner and the refusal: into a temporary folder, or into
  // docs/screenshots with HOARD_SCREENSHOTS=docs/screenshots (as look.scenarios.ts does).
  let shots: string;

  beforeAll(async () => {
    buildWebApp();
    work = mkdtempSync(join(tmpdir(), 'hoard-pay-web-'));
    shots = process.env.HOARD_SCREENSHOTS
      ? resolve(repoRoot, process.env.HOARD_SCREENSHOTS)
      : join(work, 'shots');
    esplora = new EsploraServer();
    const esploraUrl = await esplora.start();
    const base = {
      port: 0,
      host: '127.0.0.1',
      signupRateLimitPerIp: { limit: 1000, windowSeconds: 3600 },
      freeQuotaBytes: 1_000_000,
    };
    server = await startServer(
      parseConfig({
        ...base,
        dataDir: join(work, 'paying'),
        plans: [PRO],
        xpub: VPUB,
        network: 'regtest',
        esploraUrl,
        chainPollSeconds: 1,
      }),
    );
    // A server that takes no payments at all.
    plain = await startServer(parseConfig({ ...base, dataDir: join(work, 'plain') }));
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await plain?.stop();
    await esplora?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function newPage(
    viewport = { width: 1280, height: 900 },
    colorScheme: 'light' | 'dark' = 'light',
  ): Promise<Page> {
    const context = await browser.newContext({ viewport, colorScheme });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  it('upgrades: checkout with QR code and copy buttons, partial payment, then Paid and a larger quota', async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await signUp(page, server.address);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plans' }).click();
    await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
    const usage = page.getByTestId('usage');
    await expect.poll(() => usage.textContent()).toBe('0 B used of 1.0 MB');
    await page.getByText('50,000 sats (0.0005 BTC) for 30 days').waitFor();

    await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
    const address = (await page.getByTestId('address').textContent()) ?? '';
    expect(address).toMatch(/^bcrt1q[0-9a-z]+$/);
    expect(await page.getByTestId('bip21').textContent()).toBe(
      `bitcoin:${address}?amount=0.0005&label=Hoard%20Pro%2C%2030%20days`,
    );
    expect(await page.getByTestId('amount-sats').textContent()).toBe('50,000 sats');
    await page.getByRole('img', { name: /QR code of the payment link/ }).waitFor();
    await page.getByRole('button', { name: 'Copy address' }).click();
    await page.getByText('Address copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(address);
    await page.getByRole('button', { name: 'Copy payment link' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^bitcoin:bcrt1q/);
    await expect.poll(() => page.locator('.invoice-status').textContent()).toContain('Awaiting payment');

    await page.locator('.checkout').screenshot({ path: join(shots, 'checkout.png') });

    // Part of the amount, confirmed: the page says what is still due.
    esplora.chain.pay(address, 20_000);
    esplora.chain.mine(1);
    await expect
      .poll(() => page.locator('.invoice-status').textContent(), { timeout: 30_000 })
      .toContain('30,000 sats still due');

    // The rest: Paid, a receipt, and the plan's quota.
    esplora.chain.pay(address, 30_000);
    esplora.chain.mine(1);
    await expect
      .poll(() => page.locator('.invoice-status').textContent(), { timeout: 30_000 })
      .toContain('Paid');
    await page.getByRole('heading', { name: 'Receipt: Pro' }).waitFor();
    const receipt = page.locator('.receipt');
    expect(await receipt.textContent()).toContain('50,000 sats (0.0005 BTC)');
    expect(await receipt.textContent()).toContain('Pro, 30 days');
    await expect.poll(() => usage.textContent()).toBe('0 B used of 10 GB');
    await page.getByRole('list', { name: 'Invoices' }).getByText('Paid').waitFor();
    // The header's quota bar follows on the next page.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My files' }).click();
    await page.locator('.quota').getByText('of 10 GB').waitFor();
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  }, 120_000);

  it('reminds ahead of a lapse in a banner that leads to the Plans page', async () => {
    const page = await newPage({ width: 390, height: 844 }, 'dark');
    const email = await signUp(page, server.address);
    // On the free quota (1 MB here) a bigger upload is refused, and the message names the Plans page.
    await page.getByLabel('Upload files').setInputFiles({
      name: 'big.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(1_200_000, 7),
    });
    await page.getByText(/Failed: Not enough space left in your account.*Plans page/).waitFor();
    await page.screenshot({ path: join(shots, 'quota-refused-phone-dark.png') });
    await page.getByRole('button', { name: 'Cancel' }).click();
    const granted = await run(
      [serverMain, 'admin', 'grant', email, 'pro', '3', '--data', join(work, 'paying')],
      { HOARD_PLANS: JSON.stringify([PRO]), HOARD_FREE_QUOTA_BYTES: '1000000', DATABASE_URL: '' },
    );
    expect(granted.code, granted.out).toBe(0);
    await page.reload();
    const banner = page.getByRole('region', { name: 'Plan reminder' });
    await expect
      .poll(() => banner.textContent())
      .toMatch(/Your Pro plan ends on .*uploads over it are refused/);
    await page.screenshot({ path: join(shots, 'renewal-banner-phone-dark.png') });
    await banner.getByRole('link', { name: 'Renew on the Plans page' }).click();
    await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
    await page.getByTestId('address').waitFor();
    await page.locator('.checkout').screenshot({ path: join(shots, 'checkout-phone-dark.png') });
    // At a phone's width nothing runs off the side.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }, 60_000);

  it('shows an unknown plan and a server without payments as messages, not a blank page', async () => {
    const page = await newPage();
    await signUp(page, server.address);
    await page.goto(`${server.address}/billing?upgrade=platinum`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('There is no plan “platinum”');
    await page.getByRole('heading', { name: 'Plans on offer' }).waitFor();

    const other = await newPage();
    await signUp(other, plain.address);
    await other.goto(`${plain.address}/billing`);
    await other.getByText('This server takes no payments: only the free plan is offered here.').waitFor();
    expect(await other.getByRole('button', { name: /Upgrade to/ }).count()).toBe(0);
    await other.goto(`${plain.address}/billing?upgrade=pro`);
    await expect.poll(() => other.getByRole('alert').textContent()).toContain('There is no plan “pro”');
  }, 60_000);
});
