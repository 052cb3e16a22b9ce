// Browser tests' harness: a real Hoard server (in this process, on a temporary data directory,
// serving a fresh build of the web app) and Debian's chromium driven by playwright-core. Every
// test gets its own browser context (its own storage, service worker and downloads).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, startServer, type RunningServer } from '@hoard/server';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

export const repoRoot = join(import.meta.dirname, '..');
export const chromiumPath = process.env.HOARD_CHROMIUM ?? '/usr/bin/chromium';

/** Whether `command` is on the PATH. */
function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/**
 * `describe(name, body)` when chromium (and ffmpeg, if `needsFfmpeg`) is installed. Otherwise one
 * test says what is missing, and fails under CI=true, where .ci/run installs both: CI never passes
 * by running fewer browser tests, and a developer without chromium still runs the rest.
 */
export function describeInChromium(name: string, body: () => void, needsFfmpeg = false): void {
  const missing = [
    ...(existsSync(chromiumPath) ? [] : [chromiumPath]),
    ...(needsFfmpeg && !onPath('ffmpeg') ? ['ffmpeg'] : []),
  ];
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it(`runs when ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} installed`, () => {
      expect(process.env.CI === 'true' ? `missing in CI: ${missing.join(', ')}` : 'not needed here').toBe(
        'not needed here',
      );
    });
  });
}

/** Builds packages/web/dist from the sources (vite resolves the workspace packages to src/). */
export function buildWebApp(): void {
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: join(repoRoot, 'packages', 'web'),
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
}

export interface Harness {
  url: string;
  server: RunningServer;
  browser: Browser;
  dataDir: string;
  /** A new context; the earlier ones are closed unless `alongside` (e.g. a visitor beside the owner). */
  context(options?: {
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
    alongside?: boolean;
  }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startHarness(options: { quotaBytes?: number } = {}): Promise<Harness> {
  buildWebApp();
  const dataDir = mkdtempSync(join(tmpdir(), 'hoard-e2e-'));
  const server = await startServer(
    parseConfig({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      signupRateLimitPerIp: { limit: 1000, windowSeconds: 3600 },
      ...(options.quotaBytes ? { freeQuotaBytes: options.quotaBytes } : {}),
    }),
  );
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  const contexts: BrowserContext[] = [];
  return {
    url: server.address,
    server,
    browser,
    dataDir,
    async context(contextOptions = {}) {
      // One test at a time: the last test's pages (a playing video, 10,000 rows) are closed first.
      if (!contextOptions.alongside) {
        for (const old of contexts.splice(0)) await old.close().catch(() => undefined);
      }
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: contextOptions.viewport ?? { width: 1280, height: 800 },
        colorScheme: contextOptions.colorScheme ?? 'light',
        serviceWorkers: 'allow',
      });
      contexts.push(context);
      return context;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let accountCounter = 0;

/** Signs up through the page and lands in the file manager; returns the email. */
export async function signUp(
  page: Page,
  baseUrl: string,
  password = 'correct horse battery',
): Promise<string> {
  const email = `user${Date.now()}-${accountCounter++}@example.com`;
  await page.goto(`${baseUrl}/signup`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('list', { name: 'Recovery words' }).waitFor();
  await page.getByLabel('I have saved my recovery words').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByText('My files').waitFor();
  return email;
}

/** Deterministic pseudo-random bytes (xorshift), so a test can regenerate what it uploaded. */
export function testBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

/** Selects the row of `name` and clicks Download; returns the downloaded bytes. */
export async function downloadRow(page: Page, name: string): Promise<Buffer> {
  await page.getByRole('row', { name, exact: true }).click();
  const downloading = page.waitForEvent('download');
  await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
  const download = await downloading;
  const failure = await download.failure();
  if (failure) throw new Error(`download failed: ${failure}`);
  return readFileSync(await download.path());
}

/** Slows the page's uploads (DevTools network conditions), so a test can act while one runs. */
export async function throttleUploads(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/**
 * Drops files from disk onto the middle of `target` as the desktop would (DevTools' drag input, not
 * a DataTransfer made in the page): chromium gives the page File System Access handles for them.
 */
export async function dropFromDisk(page: Page, target: Locator, paths: string[]): Promise<void> {
  const box = await target.boundingBox();
  if (!box) throw new Error('the drop target is not on screen');
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) {
    await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  }
  await cdp.detach();
}

/** Waits until some parts of the upload of `name` landed, and returns the fraction (below 1). */
export async function partlyUploaded(page: Page, name: string, timeoutMs = 120_000): Promise<number> {
  const fraction = await page.waitForFunction(
    (label) => {
      const bar = document.querySelector<HTMLProgressElement>(`progress[aria-label="${label}"]`);
      return bar !== null && bar.value > 0 ? bar.value / bar.max : false;
    },
    `Progress of ${name}`,
    { timeout: timeoutMs, polling: 50 },
  );
  return Number(await fraction.jsonValue());
}
